import Testing
import MSGTensor
@testable import MSGImage

struct NPYTests {
    /// The arrays tools/make_image_fixtures.py saves with numpy.
    static func tensor2x3x4() -> Tensor {
        var data = (0..<24).map { Float($0) * 0.25 - 3 }
        data[1] = -0.0
        data[23] = Float(bitPattern: 0x0001_16C2)  // np.float32(1e-40)
        return Tensor(shape: [2, 3, 4], data: data)
    }

    static let fixtures: [(String, Tensor)] = [
        ("tensor_2x3x4.npy", tensor2x3x4()),
        ("vector_5.npy", Tensor(shape: [5], data: [1, -2, 3.5, .infinity, -.infinity])),
        ("scalar.npy", Tensor(shape: [], data: [7.5])),
    ]

    @Test("encode writes numpy's bytes", arguments: fixtures)
    func encodeMatchesNumpy(file: String, tensor: Tensor) throws {
        #expect(NPY.encode(tensor) == (try Fixtures.bytes(file)))
    }

    @Test("decode reads numpy's file bit for bit", arguments: fixtures)
    func decodeNumpy(file: String, tensor: Tensor) throws {
        let decoded = try NPY.decode(try Fixtures.bytes(file))
        #expect(decoded.shape == tensor.shape)
        #expect(decoded.data.map(\.bitPattern) == tensor.data.map(\.bitPattern))
    }

    @Test("header is padded so data starts on a 64-byte boundary", arguments: [[Int](), [1], [3, 512, 512], [1, 2, 1, 3, 1, 1, 2, 1, 1, 1, 1, 1]])
    func alignment(shape: [Int]) throws {
        let tensor = Tensor(zeros: shape)
        let bytes = NPY.encode(tensor)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(bytes[10 + headerLength - 1] == 0x0A)
        #expect(bytes.count == 10 + headerLength + tensor.count * 4)
        #expect(try NPY.decode(bytes) == tensor)
    }

    static func file(header: String, version: (UInt8, UInt8) = (1, 0), dataBytes: Int) -> [UInt8] {
        let h = Array(header.utf8)
        return [0x93] + Array("NUMPY".utf8) + [version.0, version.1, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h
            + [UInt8](repeating: 0, count: dataBytes)
    }

    @Test("decode errors name the problem")
    func errors() throws {
        let good = NPY.encode(Self.tensor2x3x4())
        #expect(throws: ImageError.npyBadMagic) { try NPY.decode(Array("PK\u{3}\u{4}garbage".utf8)) }
        #expect(throws: ImageError.npyBadMagic) { try NPY.decode([]) }
        var v9 = good
        v9[6] = 9
        #expect(throws: ImageError.npyUnsupportedVersion(major: 9, minor: 0)) { try NPY.decode(v9) }
        #expect(throws: ImageError.npySizeMismatch(expected: 96, actual: 95)) { try NPY.decode(Array(good.dropLast())) }
        #expect(throws: ImageError.npySizeMismatch(expected: 96, actual: 97)) { try NPY.decode(good + [0]) }
        #expect(throws: ImageError.self) { try NPY.decode(Array(good.prefix(40))) }  // ends inside the header
        #expect(throws: ImageError.npyUnsupportedDType("<f8")) {
            try NPY.decode(Self.file(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", dataBytes: 16))
        }
        #expect(throws: ImageError.npyUnsupportedDType(">f4")) {
            try NPY.decode(Self.file(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", dataBytes: 8))
        }
        #expect(throws: ImageError.npyFortranOrder) {
            try NPY.decode(Self.file(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", dataBytes: 16))
        }
        #expect(throws: ImageError.npyBadHeader("missing key 'shape'")) {
            try NPY.decode(Self.file(header: "{'descr': '<f4', 'fortran_order': False}\n", dataBytes: 4))
        }
        #expect(throws: ImageError.npyBadHeader("shape [4294967296, 4294967296, 4294967296] is too large")) {
            try NPY.decode(Self.file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n", dataBytes: 0))
        }
        #expect(throws: ImageError.self) {
            try NPY.decode(Self.file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", dataBytes: 0))
        }
        #expect(throws: ImageError.self) {
            try NPY.decode(Self.file(header: "__import__('os').system('true')\n", dataBytes: 0))
        }
        // A header length beyond the limit is refused before it is read.
        var huge = good
        huge[8] = 0xFF
        huge[9] = 0xFF
        #expect(throws: ImageError.npyBadHeader("header of 65535 bytes exceeds the 10000-byte limit")) { try NPY.decode(huge) }
    }

    @Test("decode accepts format 2.0 and keys in any order")
    func tolerantReader() throws {
        var bytes = Self.file(header: "{'shape': (1,), 'fortran_order': False, 'descr': '<f4'}", dataBytes: 0)
        bytes += [0, 0, 0x80, 0x3F]  // 1.0
        #expect(try NPY.decode(bytes) == Tensor(shape: [1], data: [1]))
        let h = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n".utf8)
        let v2 = [0x93] + Array("NUMPY".utf8) + [2, 0, UInt8(h.count), 0, 0, 0] + h + [0, 0, 0x80, 0x3F]
        #expect(try NPY.decode(v2) == Tensor(shape: [], data: [1]))
    }

    @Test("error descriptions are one line naming the problem")
    func descriptions() {
        #expect(ImageError.npyUnsupportedDType("<f8").description.contains("'<f4'"))
        #expect(!ImageError.npySizeMismatch(expected: 1, actual: 2).description.contains("\n"))
    }
}
