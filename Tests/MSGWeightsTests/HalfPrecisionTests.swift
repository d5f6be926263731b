import Testing
@testable import MSGWeights

// MARK: - F16 / BF16 widening and F16 narrowing

@Suite struct HalfPrecisionTests {
    static let f16Cases: [(UInt16, Float)] = [
        (0x3C00, 1.0),
        (0xC000, -2.0),
        (0x0000, 0.0),
        (0x0001, Float(bitPattern: 0x3380_0000)),        // 2^-24, smallest subnormal
        (0x0200, Float(bitPattern: 0x3800_0000)),        // 2^-15
        (0x03FF, Float(bitPattern: 0x387F_C000)),        // largest subnormal
        (0x0400, Float(bitPattern: 0x3880_0000)),        // 2^-14, smallest normal
        (0x7BFF, 65504.0),
        (0x3555, Float(bitPattern: 0x3EAA_A000)),        // 0.333251953125
        (0x7C00, .infinity),
        (0xFC00, -.infinity),
    ]

    @Test(arguments: f16Cases)
    func f16Widening(bits: UInt16, expected: Float) {
        #expect(HalfPrecision.f16ToF32(bits).bitPattern == expected.bitPattern)
    }

    @Test func f16SpecialValues() {
        let negativeZero = HalfPrecision.f16ToF32(0x8000)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(HalfPrecision.f16ToF32(0x7E00).isNaN)
        #expect(HalfPrecision.f16ToF32(0xFE01).isNaN)
        #expect(HalfPrecision.f16ToF32(0x7C01).isNaN)                 // signalling payload stays NaN
        #expect(HalfPrecision.f16ToF32(0x8001) == -Float(bitPattern: 0x3380_0000))
    }

    static let bf16Cases: [(UInt16, Float)] = [
        (0x3F80, 1.0),
        (0xC040, -3.0),
        (0x7F80, .infinity),
        (0xFF80, -.infinity),
        (0x0001, Float(bitPattern: 0x0001_0000)),        // a BF16 subnormal
    ]

    @Test(arguments: bf16Cases)
    func bf16Widening(bits: UInt16, expected: Float) {
        #expect(HalfPrecision.bf16ToF32(bits).bitPattern == expected.bitPattern)
    }

    @Test func bf16SpecialValues() {
        #expect(HalfPrecision.bf16ToF32(0xFFC0).isNaN)
        #expect(HalfPrecision.bf16ToF32(0x8000).sign == .minus)
    }

    /// Every F16 survives F16 -> F32 -> F16 unchanged (NaN stays NaN).
    @Test func f16RoundTripAllPatterns() {
        for h in 0...UInt16.max {
            let f = HalfPrecision.f16ToF32(h)
            let back = HalfPrecision.f32ToF16(f)
            if f.isNaN {
                #expect(HalfPrecision.f16ToF32(back).isNaN)
            } else if back != h {
                Issue.record("0x\(String(h, radix: 16)) -> \(f) -> 0x\(String(back, radix: 16))")
            }
        }
    }

    static let narrowingCases: [(Float, UInt16)] = [
        (1.0, 0x3C00),
        (65504, 0x7BFF),
        (65520, 0x7C00),                                  // rounds up to inf
        (1e10, 0x7C00),
        (Float(bitPattern: 0x3300_0000), 0x0000),        // 2^-25: tie, rounds to even zero
        (Float(bitPattern: 0x3300_0001), 0x0001),        // just above the tie
        (Float(bitPattern: 0x33C0_0000), 0x0002),        // 1.5 * 2^-24: tie, to even 2
        (1.0009765625, 0x3C01),                           // exact
        (Float(bitPattern: 0x3F80_1000), 0x3C00),        // 1 + 2^-11: tie, to even
        (Float(bitPattern: 0x3F80_3000), 0x3C02),        // 1 + 3*2^-11: tie, to even (up)
        (-0.0, 0x8000),
        (-.infinity, 0xFC00),
    ]

    @Test(arguments: narrowingCases)
    func f16Narrowing(value: Float, expected: UInt16) {
        #expect(HalfPrecision.f32ToF16(value) == expected)
    }

    #if !(os(macOS) && arch(x86_64))
    /// Against the platform's Float16 over many F32 bit patterns.
    @Test func f16NarrowingMatchesFloat16() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var bits = UInt32(truncatingIfNeeded: state >> 32)
            if state & 1 == 0 { // half the draws near F16's range (F32 exponents 100 ... 143)
                bits = (bits & 0x807F_FFFF) | ((100 + (bits >> 23) % 44) << 23)
            }
            let f = Float(bitPattern: bits)
            let mine = HalfPrecision.f32ToF16(f)
            if f.isNaN {
                #expect(HalfPrecision.f16ToF32(mine).isNaN)
            } else if mine != Float16(f).bitPattern {
                Issue.record("\(f): 0x\(String(mine, radix: 16)) vs 0x\(String(Float16(f).bitPattern, radix: 16))")
                return
            }
        }
    }
    #endif
}
