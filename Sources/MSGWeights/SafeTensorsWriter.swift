// MARK: - SafeTensorsWriter

/// Encodes tensors as a safetensors file: header JSON padded with spaces to a
/// multiple of 8 (so the data section is 8-aligned), tensors packed in the
/// given order with no holes. The reader accepts everything this writes.
public enum SafeTensorsWriter {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public let bytes: [UInt8]

        /// Stored bytes as given (little-endian, `dtype`).
        public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// F32 values.
        public init(name: String, shape: [Int], floats: [Float]) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(floats.count * 4)
            for f in floats {
                withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
            self.init(name: name, dtype: .f32, shape: shape, bytes: bytes)
        }

        /// Values stored as F16, rounded to nearest, ties to even.
        public init(name: String, shape: [Int], floatsAsF16: [Float]) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(floatsAsF16.count * 2)
            for f in floatsAsF16 {
                withUnsafeBytes(of: HalfPrecision.f32ToF16(f).littleEndian) { bytes.append(contentsOf: $0) }
            }
            self.init(name: name, dtype: .f16, shape: shape, bytes: bytes)
        }
    }

    /// A tensor whose bytes are written straight into the encoded file
    /// (`byteCount` of them, its dtype's little-endian bytes, row-major).
    struct PendingEntry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let byteCount: Int
        let write: (UnsafeMutableRawBufferPointer) throws(WeightsError) -> Void

        /// The bytes `write` gives, in a new array.
        func materialize() throws(WeightsError) -> [UInt8] {
            var failure: WeightsError?
            let out = [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, initialized in
                initialized = 0
                do throws(WeightsError) { try write(UnsafeMutableRawBufferPointer(buffer)); initialized = byteCount } catch let e { failure = e }
            }
            if let failure { throw failure }
            return out
        }
    }

    /// - Precondition: names are unique, not `__metadata__`, and each entry's
    ///   bytes hold exactly its shape's elements (programmer errors, not input).
    public static func encode(_ entries: [Entry], metadata: [String: String]) -> [UInt8] {
        let pending = entries.map { entry in
            PendingEntry(name: entry.name, dtype: entry.dtype, shape: entry.shape, byteCount: entry.bytes.count) { out in
                entry.bytes.withUnsafeBytes { out.copyMemory(from: $0) }
            }
        }
        do { return try encode(pending: pending, metadata: metadata) } catch { preconditionFailure("\(error)") }
    }

    /// The header of the file `encode(pending:)` writes: 8-byte length, then
    /// the JSON padded with spaces to a multiple of 8.
    static func header(_ entries: [PendingEntry], metadata: [String: String]) -> [UInt8] {
        var members: [(String, String)] = []
        if !metadata.isEmpty {
            let sorted = metadata.sorted { $0.key < $1.key }.map { ($0.key, JSONText.quoted($0.value)) }
            members.append((SafeTensorsHeader.metadataKey, JSONText.object(sorted)))
        }
        var names = Set<String>()
        var offset = 0
        for entry in entries {
            precondition(entry.name != SafeTensorsHeader.metadataKey, "a tensor cannot be named __metadata__")
            precondition(names.insert(entry.name).inserted, "duplicate tensor name '\(entry.name)'")
            let count = entry.shape.reduce(1, *)
            precondition(count * entry.dtype.size == entry.byteCount,
                         "tensor '\(entry.name)': shape \(entry.shape) of \(entry.dtype.rawValue) needs \(count * entry.dtype.size) bytes, got \(entry.byteCount)")
            let shape = "[" + entry.shape.map(String.init).joined(separator: ",") + "]"
            let fields = JSONText.object([
                ("dtype", JSONText.quoted(entry.dtype.rawValue)),
                ("shape", shape),
                ("data_offsets", "[\(offset),\(offset + entry.byteCount)]"),
            ])
            members.append((entry.name, fields))
            offset += entry.byteCount
        }
        var json = Array(JSONText.object(members).utf8)
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }

    /// Encodes the file into one allocation of its exact size, each tensor
    /// written in its place by its `write`: no per-tensor copies on the way.
    /// - Throws: what a `write` throws (then nothing is returned).
    static func encode(pending entries: [PendingEntry], metadata: [String: String]) throws(WeightsError) -> [UInt8] {
        try encode(pending: entries, header: header(entries, metadata: metadata))
    }

    /// The same with the header already built (`header(_:metadata:)`).
    static func encode(pending entries: [PendingEntry], header: [UInt8]) throws(WeightsError) -> [UInt8] {
        let total = entries.reduce(header.count) { $0 + $1.byteCount }
        var failure: WeightsError?
        let out = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            initialized = 0
            let raw = UnsafeMutableRawBufferPointer(buffer)
            header.withUnsafeBytes { raw.copyMemory(from: $0) }
            var offset = header.count
            do throws(WeightsError) {
                for entry in entries {
                    try entry.write(UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + entry.byteCount)]))
                    offset += entry.byteCount
                }
                initialized = total
            } catch let e { failure = e }
        }
        if let failure { throw failure }
        return out
    }
}
