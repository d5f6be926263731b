import MSGTensor

// MARK: - UpstreamTensor

/// A tensor found in an upstream container: its element type as the
/// container names it, its shape, and how to write its row-major
/// little-endian bytes. Nothing is copied until the converted file is
/// written (`SafeTensorsWriter.encode(pending:)`), straight into its place
/// there: an import holds the input and the output, never a third copy.
/// Only the float types become weights; the rest are described so errors
/// can say what was found.
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

    /// Writes the tensor's `count` elements, row-major, in `element`'s own
    /// little-endian bytes, into a buffer of exactly that size.
    typealias Writer = (UnsafeMutableRawBufferPointer) throws(WeightsError) -> Void

    let element: Element
    let shape: [Int]
    let count: Int
    let write: Writer

    init(element: Element, shape: [Int], count: Int, write: @escaping Writer) {
        self.element = element
        self.shape = shape
        self.count = count
        self.write = write
    }

    /// A tensor whose bytes are already in memory (`count * size` of them).
    init(element: Element, shape: [Int], bytes: [UInt8]) {
        self.init(element: element, shape: shape, count: shape.reduce(1, *)) { out in
            bytes.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<out.count])) }
        }
    }

    /// The exchange-format entry: F32/F16/BF16 bytes exactly as stored; F64
    /// rounded to F32 (nearest, as numpy's astype does), through one
    /// transient float64 copy of this tensor. Nil for other types.
    func entry(name: String) -> SafeTensorsWriter.PendingEntry? {
        switch element {
        case .f32: return .init(name: name, dtype: .f32, shape: shape, byteCount: 4 * count, write: write)
        case .f16: return .init(name: name, dtype: .f16, shape: shape, byteCount: 2 * count, write: write)
        case .bf16: return .init(name: name, dtype: .bf16, shape: shape, byteCount: 2 * count, write: write)
        case .f64:
            let (count, write) = (self.count, self.write)
            return .init(name: name, dtype: .f32, shape: shape, byteCount: 4 * count) { (out) throws(WeightsError) in
                let wide = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 * count, alignment: 8)
                defer { wide.deallocate() }
                try write(wide)
                for i in 0..<count {
                    let f = Float(Double(bitPattern: UInt64(littleEndian: wide.load(fromByteOffset: 8 * i, as: UInt64.self))))
                    out.storeBytes(of: f.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
        case .other: return nil
        }
    }
}
