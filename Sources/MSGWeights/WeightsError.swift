// MARK: - WeightsError

/// Everything that can go wrong reading a weights file, one case per problem.
///
/// Every case carries `file` (the path, or the label given for in-memory
/// bytes) and, where there is one, the tensor or key at fault, so that
/// `description` is one line a user can act on.
public enum WeightsError: Error, CustomStringConvertible, Equatable {
    // MARK: Opening
    /// The file could not be opened, stat'ed or mapped.
    case cannotOpen(file: String, reason: String)
    /// The file was truncated, grown or rewritten after it was opened (e.g.
    /// `cp new old` while `old` loads): nothing read from it is used.
    case fileChanged(file: String, reason: String)
    /// The content is none of the formats read; `what` says what it looks like
    /// (a Git LFS pointer, text, HTML, an archive, a truncated file, ...) and what to do.
    case unrecognizedContent(file: String, what: String)

    // MARK: Container (safetensors)
    /// Fewer than the 8 bytes of the header length.
    case truncated(file: String, size: Int)
    /// The header length is above the cap (upstream safetensors: 100 MB).
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    /// The header length runs past the end of the file.
    case headerPastEnd(file: String, length: UInt64, available: Int)
    /// The header is not valid UTF-8 JSON (bad syntax, too deep, ...).
    case invalidHeaderJSON(file: String, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(file: String)
    /// The same tensor name appears twice in the header.
    case duplicateTensorName(file: String, tensor: String)
    /// A tensor's entry is malformed: not an object, missing, extra or duplicate key, wrong type.
    case invalidTensorEntry(file: String, tensor: String, reason: String)
    /// A dtype this reader does not know (e.g. "F64", "I8").
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A shape or offset number that is not an exact non-negative integer fitting in `Int`.
    case invalidInteger(file: String, tensor: String, field: String, text: String)
    /// The element count times the dtype size overflows `Int`.
    case sizeOverflow(file: String, tensor: String, shape: [Int], dtype: DType)
    /// The byte range does not hold exactly the shape's elements.
    case sizeMismatch(file: String, tensor: String, shape: [Int], dtype: DType, expectedBytes: Int, actualBytes: Int)
    /// `data_offsets` with begin > end.
    case offsetsInverted(file: String, tensor: String, begin: Int, end: Int)
    /// `data_offsets` ending past the data section.
    case offsetsOutOfRange(file: String, tensor: String, end: Int, dataSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(file: String, first: String, second: String)
    /// Bytes of the data section belong to no tensor (before `tensor`, or at the end when nil).
    case holeInData(file: String, from: Int, to: Int, before: String?)
    /// `__metadata__` is not a map of strings to strings.
    case invalidMetadata(file: String, key: String?, reason: String)
    /// A tensor asked for by name is not in the file.
    case tensorNotFound(file: String, tensor: String)

    // MARK: Model (msg-gen metadata, config, tensor set)
    /// A required `__metadata__` key is absent.
    case missingMetadataKey(file: String, key: String)
    /// `msg-gen.format` is not a version this reader knows.
    case unsupportedFormat(file: String, version: String)
    /// `msg-gen.family` is not a known family.
    case unknownFamily(file: String, family: String)
    /// `msg-gen.config` is not a JSON object.
    case invalidConfigJSON(file: String, reason: String)
    /// A config key holds a value of the wrong JSON type.
    case configKeyType(file: String, key: String, expected: String, found: String)
    /// A config key is required and absent.
    case missingConfigKey(file: String, key: String)
    /// A config value of the right type that no model can have.
    case invalidConfigValue(file: String, key: String, reason: String)
    /// The config describes a different network than the tensors do.
    case configMismatch(file: String, reason: String)
    /// A tensor the config requires is absent.
    case missingTensor(file: String, tensor: String, expectedShape: [Int])
    /// A tensor that no part of the configured network uses.
    case unexpectedTensor(file: String, tensor: String)
    /// A tensor with the wrong shape for the config.
    case wrongShape(file: String, tensor: String, shape: [Int], expected: [Int])

    // MARK: Upstream containers (pickle, zip, torch, TF pickles)
    /// The pickle stream is malformed at byte `offset` (truncated, bad opcode, wrong operand types, ...).
    case invalidPickle(file: String, offset: Int, reason: String)
    /// The pickle names a global outside the allow-list: refused, never imported or called.
    case forbiddenGlobal(file: String, offset: Int, global: String)
    /// A bound of the pickle reader (nesting depth, memo size, values, stack) was exceeded.
    case pickleLimit(file: String, offset: Int, limit: String, value: Int)
    /// The zip container is malformed.
    case invalidZip(file: String, reason: String)
    /// The container parsed but its content is not a checkpoint this reader understands.
    case invalidCheckpoint(file: String, key: String?, reason: String)
    /// The checkpoint holds something else than the generator it should (a discriminator, an optimizer, ...).
    case notAGenerator(file: String, expected: String, found: String)

    // MARK: - Description

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason):
            return "\(file): cannot open: \(reason)"
        case let .fileChanged(file, reason):
            return "\(file): the file changed while it was being read: \(reason); load it again once it is complete"
        case let .unrecognizedContent(file, what):
            return "\(file): not a weights file: \(what)"
        case let .truncated(file, size):
            return "\(file): truncated: \(size) bytes, a safetensors file starts with an 8-byte header length"
        case let .headerTooLarge(file, length, limit):
            return "\(file): header length \(length) bytes is above the \(limit)-byte limit"
        case let .headerPastEnd(file, length, available):
            return "\(file): header length \(length) bytes runs past the end of the file (\(available) bytes after the length)"
        case let .invalidHeaderJSON(file, reason):
            return "\(file): header is not valid JSON: \(reason)"
        case let .headerNotObject(file):
            return "\(file): header is not a JSON object"
        case let .duplicateTensorName(file, tensor):
            return "\(file): tensor '\(tensor)' appears more than once in the header"
        case let .invalidTensorEntry(file, tensor, reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)' has unknown dtype '\(dtype)' (supported: F32, F16, BF16)"
        case let .invalidInteger(file, tensor, field, text):
            return "\(file): tensor '\(tensor)': \(field) holds '\(text)', expected a non-negative integer"
        case let .sizeOverflow(file, tensor, shape, dtype):
            return "\(file): tensor '\(tensor)' of shape \(shape) and dtype \(dtype.rawValue) is too large (size overflows)"
        case let .sizeMismatch(file, tensor, shape, dtype, expectedBytes, actualBytes):
            return "\(file): tensor '\(tensor)' of shape \(shape) and dtype \(dtype.rawValue) needs \(expectedBytes) bytes, its data_offsets span \(actualBytes)"
        case let .offsetsInverted(file, tensor, begin, end):
            return "\(file): tensor '\(tensor)' has data_offsets [\(begin), \(end)] with begin after end"
        case let .offsetsOutOfRange(file, tensor, end, dataSize):
            return "\(file): tensor '\(tensor)' ends at byte \(end), past the \(dataSize)-byte data section"
        case let .overlappingTensors(file, first, second):
            return "\(file): tensors '\(first)' and '\(second)' overlap"
        case let .holeInData(file, from, to, before):
            if let before {
                return "\(file): bytes \(from)..<\(to) of the data section before tensor '\(before)' belong to no tensor"
            }
            return "\(file): bytes \(from)..<\(to) at the end of the data section belong to no tensor"
        case let .invalidMetadata(file, key, reason):
            if let key { return "\(file): __metadata__ key '\(key)': \(reason)" }
            return "\(file): __metadata__: \(reason)"
        case let .tensorNotFound(file, tensor):
            return "\(file): no tensor named '\(tensor)'"
        case let .missingMetadataKey(file, key):
            return "\(file): __metadata__ lacks '\(key)'"
        case let .unsupportedFormat(file, version):
            return "\(file): msg-gen.format is '\(version)', this reader knows format '1'"
        case let .unknownFamily(file, family):
            return "\(file): msg-gen.family '\(family)' is unknown (known: msg-progan, msg-stylegan)"
        case let .invalidConfigJSON(file, reason):
            return "\(file): msg-gen.config is not a JSON object: \(reason)"
        case let .configKeyType(file, key, expected, found):
            return "\(file): config key '\(key)' holds \(found), expected \(expected)"
        case let .missingConfigKey(file, key):
            return "\(file): config lacks required key '\(key)'"
        case let .invalidConfigValue(file, key, reason):
            return "\(file): config key '\(key)': \(reason)"
        case let .configMismatch(file, reason):
            return "\(file): \(reason)"
        case let .missingTensor(file, tensor, expectedShape):
            return "\(file): tensor '\(tensor)' (shape \(expectedShape)) is missing"
        case let .unexpectedTensor(file, tensor):
            return "\(file): tensor '\(tensor)' is not part of the configured network"
        case let .wrongShape(file, tensor, shape, expected):
            return "\(file): tensor '\(tensor)' has shape \(shape), expected \(expected)"
        case let .invalidPickle(file, offset, reason):
            return "\(file): invalid pickle at byte \(offset): \(reason)"
        case let .forbiddenGlobal(file, offset, global):
            return "\(file): pickle at byte \(offset) asks for global '\(global)', which is not on the allow-list (nothing is imported or executed; see README, Upstream checkpoints)"
        case let .pickleLimit(file, offset, limit, value):
            return "\(file): pickle at byte \(offset) exceeds the \(limit) limit (\(value))"
        case let .invalidZip(file, reason):
            return "\(file): invalid zip archive: \(reason)"
        case let .invalidCheckpoint(file, key, reason):
            if let key { return "\(file): '\(key)': \(reason)" }
            return "\(file): \(reason)"
        case let .notAGenerator(file, expected, found):
            return "\(file): not an \(expected) generator: found \(found)"
        }
    }
}
