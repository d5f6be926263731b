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

    /// - Precondition: names are unique, not `__metadata__`, and each entry's
    ///   bytes hold exactly its shape's elements (programmer errors, not input).
    public static func encode(_ entries: [Entry], metadata: [String: String]) -> [UInt8] {
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
            precondition(count * entry.dtype.size == entry.bytes.count,
                         "tensor '\(entry.name)': shape \(entry.shape) of \(entry.dtype.rawValue) needs \(count * entry.dtype.size) bytes, got \(entry.bytes.count)")
            let shape = "[" + entry.shape.map(String.init).joined(separator: ",") + "]"
            let fields = JSONText.object([
                ("dtype", JSONText.quoted(entry.dtype.rawValue)),
                ("shape", shape),
                ("data_offsets", "[\(offset),\(offset + entry.bytes.count)]"),
            ])
            members.append((entry.name, fields))
            offset += entry.bytes.count
        }
        var header = Array(JSONText.object(members).utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for entry in entries { out.append(contentsOf: entry.bytes) }
        return out
    }
}
