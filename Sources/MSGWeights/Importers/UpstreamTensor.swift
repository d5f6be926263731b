import MSGTensor

// MARK: - UpstreamTensor

/// A tensor read out of an upstream container: its element type as the
/// container names it, its shape, and its bytes in row-major order,
/// little-endian. Only the float types become weights; the rest are
/// described so errors can say what was found.
struct UpstreamTensor {
    enum Element: Equatable {
        case f32, f16, bf16, f64
        /// Any other type, named as the container names it ("I64", "int64", ...).
        case other(String)

        var size: Int? {
            switch self {
            case .f32: return 4
            case .f16, .bf16: return 2
            case .f64: return 8
            case .other: return nil
            }
        }

        var name: String {
            switch self {
            case .f32: return "float32"
            case .f16: return "float16"
            case .bf16: return "bfloat16"
            case .f64: return "float64"
            case .other(let n): return n
            }
        }
    }

    let element: Element
    let shape: [Int]
    let bytes: [UInt8]

    /// The exchange-format entry: F32/F16/BF16 bytes exactly as stored; F64
    /// rounded to F32 (nearest, as numpy's astype does). Nil for other types.
    func entry(name: String) -> SafeTensorsWriter.Entry? {
        switch element {
        case .f32: return .init(name: name, dtype: .f32, shape: shape, bytes: bytes)
        case .f16: return .init(name: name, dtype: .f16, shape: shape, bytes: bytes)
        case .bf16: return .init(name: name, dtype: .bf16, shape: shape, bytes: bytes)
        case .f64:
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count / 2)
            for i in stride(from: 0, to: bytes.count, by: 8) {
                var bits: UInt64 = 0
                for k in 0..<8 { bits |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
                let f = Float(Double(bitPattern: bits))
                withUnsafeBytes(of: f.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
            return .init(name: name, dtype: .f32, shape: shape, bytes: out)
        case .other: return nil
        }
    }
}
