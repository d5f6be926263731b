import Testing
@testable import MSGWeights

// MARK: - The container: one test per way a header can lie

@Suite struct SafeTensorsParsingTests {
    /// A valid entry of `n` F32 elements at `[begin, begin + 4n]`.
    func f32(_ name: String, _ begin: Int, _ n: Int) -> String {
        "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(n)],\"data_offsets\":[\(begin),\(begin + 4 * n)]}"
    }

    // MARK: Length

    @Test(arguments: [0, 1, 7])
    func shorterThanLength(size: Int) {
        #expect(loadError([UInt8](repeating: 0, count: size)) == .truncated(file: src, size: size))
    }

    @Test(arguments: [UInt64(100_000_001), UInt64(1) << 40, UInt64.max])
    func headerTooLarge(length: UInt64) {
        let bytes = littleEndian(length) + Array("{}".utf8)
        #expect(loadError(bytes) == .headerTooLarge(file: src, length: length, limit: 100_000_000))
    }

    @Test func headerPastEnd() {
        let bytes = littleEndian(100) + Array("{}      ".utf8)
        #expect(loadError(bytes) == .headerPastEnd(file: src, length: 100, available: 8))
    }

    // MARK: JSON

    @Test(arguments: [
        "", "{", "{\"a\":1,}", "{\"a\" 1}", "{'a':1}", "{\"a\":NaN}", "{\"a\":01}", "{} x",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":tru}", "{\"a\":-}", "{\"a\":1.}",
        "{\"a\":\"line\nbreak\"}", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func invalidJSON(header: String) {
        guard case .invalidHeaderJSON(src, _)? = loadError(rawFile(header)) else {
            Issue.record("'\(header)' was not rejected as invalid JSON: \(String(describing: loadError(rawFile(header))))")
            return
        }
    }

    @Test func invalidUTF8() {
        let header: [UInt8] = Array("{\"a".utf8) + [0xC3, 0x28] + Array("\":1}".utf8)
        guard case .invalidHeaderJSON(src, _)? = loadError(rawFile(headerBytes: header)) else {
            Issue.record("invalid UTF-8 accepted")
            return
        }
    }

    @Test(arguments: ["[]", "\"x\"", "3", "null", "true"])
    func headerNotObject(header: String) {
        #expect(loadError(rawFile(header)) == .headerNotObject(file: src))
    }

    // MARK: Entries

    @Test(arguments: [
        ("{\"a\":3}", "entry is the number 3, expected an object"),
        ("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", "lacks 'dtype'"),
        ("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "lacks 'shape'"),
        ("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", "lacks 'data_offsets'"),
        ("{\"a\":{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,4]}}", "dtype is the number 4, expected a string"),
        ("{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", "shape is the number 1, expected an array of integers"),
        ("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", "shape holds a string, expected integers"),
        ("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0]}}", "data_offsets holds 1 numbers, expected 2"),
        ("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"x\":1}}", "unknown key 'x'"),
        ("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", "key 'dtype' appears more than once"),
    ])
    func malformedEntry(header: String, reason: String) {
        #expect(loadError(rawFile(header, data: [0, 0, 0, 0])) == .invalidTensorEntry(file: src, tensor: "a", reason: reason))
    }

    @Test(arguments: ["F64", "I8", "XYZ", "f32", "U8"])
    func unknownDType(dtype: String) {
        let header = "{\"w\":{\"dtype\":\"\(dtype)\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        #expect(loadError(rawFile(header, data: [0, 0, 0, 0])) == .unknownDType(file: src, tensor: "w", dtype: dtype))
        #expect(loadError(rawFile(header, data: [0, 0, 0, 0]))?.description.contains("'\(dtype)'") == true)
    }

    @Test(arguments: [
        ("[-1]", "[0,4]", "shape", "-1"),
        ("[2.0]", "[0,8]", "shape", "2.0"),
        ("[1e3]", "[0,4]", "shape", "1e3"),
        ("[1]", "[-4,0]", "data_offsets", "-4"),
        ("[1]", "[0,99999999999999999999999]", "data_offsets", "99999999999999999999999"),
    ])
    func notANonNegativeInteger(shape: String, offsets: String, field: String, text: String) {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":\(offsets)}}"
        #expect(loadError(rawFile(header, data: [0, 0, 0, 0])) == .invalidInteger(file: src, tensor: "w", field: field, text: text))
    }

    @Test(arguments: [
        [Int(1) << 62, 4],
        [Int.max, 1],
        [Int(1) << 31, Int(1) << 31, 4],
    ])
    func sizeOverflow(shape: [Int]) {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,0]}}"
        #expect(loadError(rawFile(header)) == .sizeOverflow(file: src, tensor: "w", shape: shape, dtype: .f32))
    }

    @Test func sizeDisagreesWithByteRange() {
        let header = "{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}"
        #expect(loadError(rawFile(header, data: [0, 0, 0, 0]))
                == .sizeMismatch(file: src, tensor: "w", shape: [3], dtype: .f16, expectedBytes: 6, actualBytes: 4))
    }

    @Test func offsetsInverted() {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}"
        #expect(loadError(rawFile(header, data: [UInt8](repeating: 0, count: 8)))
                == .offsetsInverted(file: src, tensor: "w", begin: 8, end: 4))
    }

    @Test func offsetsPastData() {
        let header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"
        #expect(loadError(rawFile(header, data: [UInt8](repeating: 0, count: 8)))
                == .offsetsOutOfRange(file: src, tensor: "w", end: 16, dataSize: 8))
    }

    // MARK: Tiling

    @Test func overlapping() {
        let header = "{" + f32("a", 0, 2) + "," + f32("b", 4, 2) + "}"
        #expect(loadError(rawFile(header, data: [UInt8](repeating: 0, count: 12)))
                == .overlappingTensors(file: src, first: "a", second: "b"))
    }

    @Test func sameRangeTwice() {
        let header = "{" + f32("a", 0, 1) + "," + f32("b", 0, 1) + "}"
        #expect(loadError(rawFile(header, data: [0, 0, 0, 0])) == .overlappingTensors(file: src, first: "a", second: "b"))
    }

    @Test func holeBetweenTensors() {
        let header = "{" + f32("a", 0, 1) + "," + f32("b", 8, 1) + "}"
        #expect(loadError(rawFile(header, data: [UInt8](repeating: 0, count: 12)))
                == .holeInData(file: src, from: 4, to: 8, before: "b"))
    }

    @Test func holeAtStart() {
        let header = "{" + f32("a", 4, 1) + "}"
        #expect(loadError(rawFile(header, data: [UInt8](repeating: 0, count: 8)))
                == .holeInData(file: src, from: 0, to: 4, before: "a"))
    }

    @Test func trailingBytes() {
        let header = "{" + f32("a", 0, 1) + "}"
        #expect(loadError(rawFile(header, data: [UInt8](repeating: 0, count: 8)))
                == .holeInData(file: src, from: 4, to: 8, before: nil))
        // No tensors at all, but data bytes.
        #expect(loadError(rawFile("{}", data: [1])) == .holeInData(file: src, from: 0, to: 1, before: nil))
    }

    @Test func emptyFileWithNoTensorsIsFine() throws {
        let file = try SafeTensorsFile(bytes: rawFile("{}"), source: src)
        #expect(file.tensors.isEmpty && file.names.isEmpty && file.metadata.isEmpty)
        let padded = try SafeTensorsFile(bytes: rawFile("{\"__metadata__\":{}}   "), source: src)
        #expect(padded.tensors.isEmpty)
    }

    @Test func zeroSizedTensorsTile() throws {
        let header = "{\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]}," + f32("a", 0, 1) + "}"
        let file = try SafeTensorsFile(bytes: rawFile(header, data: [0, 0, 0x80, 0x3F]), source: src)
        #expect(try file.floats("e") == [])
        #expect(try file.floats("a") == [1])
        #expect(file.names == ["a", "e"])
    }

    @Test func tensorsInOffsetOrder() throws {
        let header = "{" + f32("late", 4, 1) + "," + f32("early", 0, 1) + "}"
        let file = try SafeTensorsFile(bytes: rawFile(header, data: [UInt8](repeating: 0, count: 8)), source: src)
        #expect(file.names == ["early", "late"])
        #expect(file.tensors["late"]?.byteRange == 4..<8)
    }

    // MARK: Names and metadata

    @Test func duplicateTensorName() {
        let header = "{" + f32("a", 0, 1) + "," + f32("a", 0, 1) + "}"
        #expect(loadError(rawFile(header, data: [0, 0, 0, 0])) == .duplicateTensorName(file: src, tensor: "a"))
    }

    @Test(arguments: [
        ("{\"__metadata__\":3}", WeightsError.invalidMetadata(file: src, key: nil, reason: "is the number 3, expected an object of strings")),
        ("{\"__metadata__\":{\"k\":1}}", .invalidMetadata(file: src, key: "k", reason: "value is the number 1, expected a string")),
        ("{\"__metadata__\":{\"k\":null}}", .invalidMetadata(file: src, key: "k", reason: "value is null, expected a string")),
        ("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", .invalidMetadata(file: src, key: "k", reason: "appears more than once")),
        ("{\"__metadata__\":{},\"__metadata__\":{}}", .invalidMetadata(file: src, key: nil, reason: "appears more than once")),
    ])
    func invalidMetadata(header: String, expected: WeightsError) {
        #expect(loadError(rawFile(header)) == expected)
    }

    @Test func metadataAndEscapes() throws {
        let header = "{\"__metadata__\":{\"k\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\"}}"
        let file = try SafeTensorsFile(bytes: rawFile(header), source: src)
        #expect(file.metadata == ["k": "café 😀 \"q\""])
    }

    @Test func unknownTensorName() throws {
        let file = try SafeTensorsFile(bytes: rawFile("{}"), source: src)
        #expect(throws: WeightsError.tensorNotFound(file: src, tensor: "nope")) { try file.floats("nope") }
        #expect(throws: WeightsError.tensorNotFound(file: src, tensor: "nope")) { try file.withRawBytes("nope") { _ in 0 } }
    }

    // MARK: Messages

    @Test func descriptionsNameFileAndTensor() {
        let e = WeightsError.wrongShape(file: "weights.safetensors", tensor: "layers.2.conv_1.weight", shape: [32, 16, 3, 3], expected: [32, 32, 3, 3])
        #expect(e.description == "weights.safetensors: tensor 'layers.2.conv_1.weight' has shape [32, 16, 3, 3], expected [32, 32, 3, 3]")
        let header = "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}"
        let message = loadError(rawFile(header, data: [UInt8](repeating: 0, count: 8)))?.description ?? ""
        #expect(message.hasPrefix("t.safetensors: ") && message.contains("'w'") && message.contains("F64"))
    }
}
