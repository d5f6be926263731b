// MARK: - HalfPrecision

/// Bit-exact conversions between F32 and the two 16-bit float formats, written
/// out so they behave the same on every platform (Float16 is missing on some).
enum HalfPrecision {
    /// IEEE binary16 -> binary32, exact: subnormals normalised, inf kept, NaN
    /// payload kept (shifted into the top of the F32 mantissa), sign of zero kept.
    static func f16ToF32(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        var mantissa = UInt32(h & 0x03FF)
        switch exponent {
        case 0:
            guard mantissa != 0 else { return Float(bitPattern: sign) }
            // Subnormal: value = mantissa * 2^-24; shift until the implicit bit appears.
            var e: Int32 = -14
            while mantissa & 0x0400 == 0 {
                mantissa <<= 1
                e -= 1
            }
            mantissa &= 0x03FF
            return Float(bitPattern: sign | UInt32(e + 127) << 23 | mantissa << 13)
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | mantissa << 13)
        }
    }

    /// bfloat16 is the top half of a binary32.
    static func bf16ToF32(_ b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// binary32 -> binary16, rounding to nearest, ties to even (as IEEE and
    /// numpy's `astype(float16)` do). Overflow gives inf; NaN stays a quiet NaN.
    static func f32ToF16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int32((bits >> 23) & 0xFF)
        let mantissa = bits & 0x007F_FFFF

        if exponent == 0xFF {
            if mantissa == 0 { return sign | 0x7C00 }
            return sign | 0x7C00 | 0x0200 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127
        if e > 15 { return sign | 0x7C00 }
        if e >= -14 {
            var halfExponent = UInt32(e + 15)
            var halfMantissa = mantissa >> 13
            let rest = mantissa & 0x1FFF
            if rest > 0x1000 || (rest == 0x1000 && halfMantissa & 1 == 1) {
                halfMantissa += 1
                if halfMantissa == 0x400 {
                    halfMantissa = 0
                    halfExponent += 1
                }
            }
            if halfExponent >= 0x1F { return sign | 0x7C00 }
            return sign | UInt16(halfExponent << 10 | halfMantissa)
        }
        // Below the normal range: a subnormal half, in units of 2^-24.
        if exponent == 0 || e < -25 { return sign }
        let full = mantissa | 0x0080_0000            // value = full * 2^(e-23)
        let shift = UInt32(-(e + 1))                  // 14 ... 24
        var q = full >> shift
        let rest = full & ((1 << shift) - 1)
        let half = UInt32(1) << (shift - 1)
        if rest > half || (rest == half && q & 1 == 1) { q += 1 }
        // q == 0x400 is the smallest normal, which the bit pattern already encodes.
        return sign | UInt16(q)
    }
}
