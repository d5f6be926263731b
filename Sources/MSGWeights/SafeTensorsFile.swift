// MARK: - SafeTensorsFile

/// A validated safetensors file: header indexed up front, tensor bytes read
/// lazily from a read-only memory map (or from in-memory bytes).
///
/// Layout (safetensors spec): an 8-byte little-endian UInt64 header length N,
/// N bytes of UTF-8 JSON, then the data section, which the tensors must tile
/// exactly. Everything in the header is distrusted: see `SafeTensorsFile+Header.swift`.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Upstream safetensors' header cap.
    public static let maxHeaderLength = 100_000_000

    /// The path, or the label given for in-memory bytes: named by every error.
    public let source: String
    /// `__metadata__`, empty when absent.
    public let metadata: [String: String]
    public let tensors: [String: TensorInfo]
    /// Tensor names in file (offset) order.
    public var names: [String] { orderedNames }

    private let orderedNames: [String]
    /// Offset of the data section in the file: 8 + N.
    private let dataStart: Int
    private let storage: ByteStorage

    /// Maps the file read-only; nothing is copied until a tensor is asked for.
    public convenience init(path: String) throws(WeightsError) {
        try self.init(storage: try ByteStorage.map(path: path), source: path)
    }

    public convenience init(bytes: [UInt8], source: String) throws(WeightsError) {
        try self.init(storage: ByteStorage(bytes: bytes), source: source)
    }

    /// Drops the resident pages of a memory-mapped file (no effect on in-memory
    /// bytes). Reading a tensor afterwards still works: the pages fault back in.
    public func releaseResidentPages() { storage.releaseResidentPages() }

    init(storage: ByteStorage, source: String) throws(WeightsError) {
        let header = try storage.withBytes { (raw) throws(WeightsError) in
            try SafeTensorsHeader.parse(raw, source: source)
        }
        self.storage = storage
        self.source = source
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.orderedNames = header.orderedNames
        self.dataStart = header.dataStart
    }

    // MARK: - Reading tensors

    /// The tensor's values as F32, in stored (row-major) order. F16 and BF16
    /// are widened exactly: every value, subnormals, infinities and NaN included.
    public func floats(_ name: String) throws(WeightsError) -> [Float] {
        guard let info = tensors[name] else { throw .tensorNotFound(file: source, tensor: name) }
        let count = info.elementCount
        return storage.withBytes { raw in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[(dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound)])
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                switch info.dtype {
                case .f32:
                    #if _endian(little)
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes)
                    #else
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                    #endif
                case .f16:
                    for i in 0..<count {
                        out[i] = HalfPrecision.f16ToF32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                case .bf16:
                    for i in 0..<count {
                        out[i] = HalfPrecision.bf16ToF32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                    }
                }
                initialized = count
            }
        }
    }

    /// The tensor's stored bytes (little-endian, its own dtype), valid only
    /// inside `body`: for bit-identical conversion and checks.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let info = tensors[name] else { throw WeightsError.tensorNotFound(file: source, tensor: name) }
        return try storage.withBytes { (raw) throws(any Error) in
            try body(UnsafeRawBufferPointer(rebasing: raw[(dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound)]))
        }
    }
}
