// MARK: - SafeTensorsHeader

/// The header of a safetensors file, parsed without trusting a byte of it:
/// the length is capped and checked against the file, the JSON is parsed
/// strictly (duplicate keys detected), every number must be an exact
/// non-negative integer, sizes use overflow-checked arithmetic, and the
/// tensors must tile the data section with no hole and no overlap (as
/// upstream safetensors' `validate`). Nothing is allocated from an unchecked field.
struct SafeTensorsHeader {
    var metadata: [String: String] = [:]
    var tensors: [String: TensorInfo] = [:]
    var orderedNames: [String] = []
    var dataStart = 0

    static let metadataKey = "__metadata__"

    /// Parses a whole file held in memory.
    static func parse(_ raw: UnsafeRawBufferPointer, source: String) throws(WeightsError) -> SafeTensorsHeader {
        let length = try headerLength(raw, fileSize: raw.count, source: source)
        return try parse(json: UnsafeRawBufferPointer(rebasing: raw[8..<(8 + length)]), fileSize: raw.count, source: source)
    }

    /// The header length N, checked against the cap and the file: `first`
    /// holds the file's first bytes (at least 8 unless the file is shorter).
    static func headerLength(_ first: UnsafeRawBufferPointer, fileSize: Int, source: String) throws(WeightsError) -> Int {
        // MARK: Length
        guard fileSize >= 8, first.count >= 8 else { throw .truncated(file: source, size: fileSize) }
        let length = UInt64(littleEndian: first.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(SafeTensorsFile.maxHeaderLength) else {
            throw .headerTooLarge(file: source, length: length, limit: SafeTensorsFile.maxHeaderLength)
        }
        let available = fileSize - 8
        guard length <= UInt64(available) else {
            throw .headerPastEnd(file: source, length: length, available: available)
        }
        return Int(length) // <= 100 MB, fits
    }

    /// Parses the N header bytes of a file of `fileSize` bytes (N from `headerLength`).
    static func parse(json raw: UnsafeRawBufferPointer, fileSize: Int, source: String) throws(WeightsError) -> SafeTensorsHeader {
        let headerLength = raw.count
        let dataSize = fileSize - 8 - headerLength

        // MARK: JSON
        let json: JSONValue
        do {
            json = try StrictJSONParser.parse(Array(raw))
        } catch {
            throw .invalidHeaderJSON(file: source, reason: error.description)
        }
        guard case let .object(members) = json else { throw .headerNotObject(file: source) }

        // MARK: Entries
        var header = SafeTensorsHeader()
        header.dataStart = 8 + headerLength
        var sawMetadata = false
        var entries: [(info: TensorInfo, order: Int)] = []
        for (order, member) in members.enumerated() {
            if member.key == metadataKey {
                guard !sawMetadata else { throw .invalidMetadata(file: source, key: nil, reason: "appears more than once") }
                sawMetadata = true
                header.metadata = try parseMetadata(member.value, source: source)
                continue
            }
            guard header.tensors[member.key] == nil else {
                throw .duplicateTensorName(file: source, tensor: member.key)
            }
            let info = try parseEntry(name: member.key, member.value, dataSize: dataSize, source: source)
            header.tensors[member.key] = info
            entries.append((info, order))
        }

        // MARK: Tiling
        entries.sort { a, b in
            (a.info.byteRange.lowerBound, a.info.byteRange.upperBound, a.order)
                < (b.info.byteRange.lowerBound, b.info.byteRange.upperBound, b.order)
        }
        var cursor = 0
        var previous: String?
        for (info, _) in entries {
            if info.byteRange.lowerBound < cursor, let previous {
                throw .overlappingTensors(file: source, first: previous, second: info.name)
            }
            if info.byteRange.lowerBound > cursor {
                throw .holeInData(file: source, from: cursor, to: info.byteRange.lowerBound, before: info.name)
            }
            cursor = info.byteRange.upperBound
            previous = info.name
        }
        if cursor != dataSize {
            throw .holeInData(file: source, from: cursor, to: dataSize, before: nil)
        }
        header.orderedNames = entries.map(\.info.name)
        return header
    }

    // MARK: - __metadata__

    private static func parseMetadata(_ value: JSONValue, source: String) throws(WeightsError) -> [String: String] {
        guard case let .object(members) = value else {
            throw .invalidMetadata(file: source, key: nil, reason: "is \(value.kindName), expected an object of strings")
        }
        var metadata: [String: String] = [:]
        for member in members {
            guard metadata[member.key] == nil else {
                throw .invalidMetadata(file: source, key: member.key, reason: "appears more than once")
            }
            guard case let .string(text) = member.value else {
                throw .invalidMetadata(file: source, key: member.key, reason: "value is \(member.value.kindName), expected a string")
            }
            metadata[member.key] = text
        }
        return metadata
    }

    // MARK: - One tensor

    private static func parseEntry(name: String, _ value: JSONValue, dataSize: Int, source: String) throws(WeightsError) -> TensorInfo {
        func bad(_ reason: String) -> WeightsError { .invalidTensorEntry(file: source, tensor: name, reason: reason) }
        guard case let .object(members) = value else { throw bad("entry is \(value.kindName), expected an object") }
        if let key = JSONValue.firstDuplicateKey(members) { throw bad("key '\(key)' appears more than once") }
        var fields: [String: JSONValue] = [:]
        for member in members {
            guard ["dtype", "shape", "data_offsets"].contains(member.key) else { throw bad("unknown key '\(member.key)'") }
            fields[member.key] = member.value
        }

        // dtype
        guard let dtypeValue = fields["dtype"] else { throw bad("lacks 'dtype'") }
        guard case let .string(dtypeText) = dtypeValue else { throw bad("dtype is \(dtypeValue.kindName), expected a string") }
        guard let dtype = DType(rawValue: dtypeText) else {
            throw .unknownDType(file: source, tensor: name, dtype: dtypeText)
        }

        // shape
        guard let shapeValue = fields["shape"] else { throw bad("lacks 'shape'") }
        let shape = try integers(shapeValue, field: "shape", name: name, source: source)

        // data_offsets
        guard let offsetsValue = fields["data_offsets"] else { throw bad("lacks 'data_offsets'") }
        let offsets = try integers(offsetsValue, field: "data_offsets", name: name, source: source)
        guard offsets.count == 2 else { throw bad("data_offsets holds \(offsets.count) numbers, expected 2") }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw .offsetsInverted(file: source, tensor: name, begin: begin, end: end) }
        guard end <= dataSize else { throw .offsetsOutOfRange(file: source, tensor: name, end: end, dataSize: dataSize) }

        // size, overflow-checked
        var bytes = dtype.size
        for dim in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw .sizeOverflow(file: source, tensor: name, shape: shape, dtype: dtype) }
            bytes = product
        }
        guard bytes == end - begin else {
            throw .sizeMismatch(file: source, tensor: name, shape: shape, dtype: dtype, expectedBytes: bytes, actualBytes: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// An array of exact non-negative integers.
    private static func integers(_ value: JSONValue, field: String, name: String, source: String) throws(WeightsError) -> [Int] {
        guard case let .array(elements) = value else {
            throw .invalidTensorEntry(file: source, tensor: name, reason: "\(field) is \(value.kindName), expected an array of integers")
        }
        var result: [Int] = []
        result.reserveCapacity(elements.count) // bounded by the header's own size
        for element in elements {
            guard case let .number(text) = element else {
                throw .invalidTensorEntry(file: source, tensor: name, reason: "\(field) holds \(element.kindName), expected integers")
            }
            guard let n = JSONValue.exactNonNegativeInt(text) else {
                throw .invalidInteger(file: source, tensor: name, field: field, text: text)
            }
            result.append(n)
        }
        return result
    }
}
