// MARK: - SafeTensorsFile

/// A validated safetensors file: header indexed up front, tensor bytes read
/// lazily, with `pread` from the open file (or from in-memory bytes) straight
/// into the caller's array, so nothing of the file stays resident.
///
/// Layout (safetensors spec): an 8-byte little-endian UInt64 header length N,
/// N bytes of UTF-8 JSON, then the data section, which the tensors must tile
/// exactly. Everything in the header is distrusted: see `SafeTensorsHeader.swift`.
/// A file truncated or rewritten after it was opened is `WeightsError.fileChanged`.
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

    /// Opens the file (never blocking, regular files only) and reads its header;
    /// tensors are read when asked for.
    public convenience init(path: String) throws(WeightsError) {
        try self.init(storage: try ByteStorage.open(path: path), source: path)
    }

    public convenience init(bytes: [UInt8], source: String) throws(WeightsError) {
        try self.init(storage: ByteStorage(bytes: bytes), source: source)
    }

    /// Kept for callers that drop the file's pages once the engine holds its
    /// own copy: tensors are read with `pread` into the caller's arrays, so no
    /// page of the file stays resident and there is nothing to release.
    public func releaseResidentPages() {}

    init(storage: ByteStorage, source: String) throws(WeightsError) {
        let first = try storage.prefix(8)
        let length = try first.withWeightsBytes { (raw) throws(WeightsError) in
            try SafeTensorsHeader.headerLength(raw, fileSize: storage.count, source: source)
        }
        let json = try Self.bytes(storage, 8..<(8 + length))
        let header = try json.withWeightsBytes { (raw) throws(WeightsError) in
            try SafeTensorsHeader.parse(json: raw, fileSize: storage.count, source: source)
        }
        self.storage = storage
        self.source = source
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.orderedNames = header.orderedNames
        self.dataStart = header.dataStart
    }

    private static func bytes(_ storage: ByteStorage, _ range: Range<Int>) throws(WeightsError) -> [UInt8] {
        var failure: WeightsError?
        let out = [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            do throws(WeightsError) {
                try storage.read(range, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = range.count
            } catch let e { failure = e; initialized = 0 }
        }
        if let failure { throw failure }
        return out
    }

    // MARK: - Reading tensors

    /// The tensor's values as F32, in stored (row-major) order. F16 and BF16
    /// are widened exactly: every value, subnormals, infinities and NaN included.
    /// - Throws: `.tensorNotFound`; `.fileChanged` when the file was truncated
    ///   or rewritten since it was opened.
    public func floats(_ name: String) throws(WeightsError) -> [Float] {
        guard let info = tensors[name] else { throw .tensorNotFound(file: source, tensor: name) }
        let count = info.elementCount
        let range = (dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound)
        var failure: WeightsError?
        let values = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            initialized = 0
            do throws(WeightsError) {
                switch info.dtype {
                case .f32:
                    // Straight into the result: no intermediate copy of the weights.
                    try storage.read(range, into: UnsafeMutableRawBufferPointer(out))
                    #if !_endian(little)
                    for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
                    #endif
                case .f16, .bf16:
                    // Widened in chunks of 64 Ki values through a small buffer.
                    let chunk = 1 << 16
                    let half = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * min(chunk, count), alignment: 2)
                    defer { half.deallocate() }
                    var done = 0
                    while done < count {
                        let n = min(chunk, count - done)
                        try storage.read((range.lowerBound + 2 * done)..<(range.lowerBound + 2 * (done + n)),
                                         into: UnsafeMutableRawBufferPointer(rebasing: half[0..<(2 * n)]))
                        let widen = info.dtype == .f16 ? HalfPrecision.f16ToF32 : HalfPrecision.bf16ToF32
                        for i in 0..<n { out[done + i] = widen(UInt16(littleEndian: half.load(fromByteOffset: 2 * i, as: UInt16.self))) }
                        done += n
                    }
                }
                initialized = count
            } catch let e { failure = e }
        }
        if let failure { throw failure }
        return values
    }

    /// The tensor's stored bytes (little-endian, its own dtype), valid only
    /// inside `body`: for bit-identical conversion and checks.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let info = tensors[name] else { throw WeightsError.tensorNotFound(file: source, tensor: name) }
        return try storage.withBytes((dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound), body)
    }
}
