import Testing
@testable import MSGImage
import MSGTensor

/// The float64 reader/writer latents files use.
@Suite struct NPYFloat64Tests {
    @Test func float64RoundTripsExactly() throws {
        let values = [1.0, -0.0, .pi, 1e-300, -2.5e300, 0.1]
        let bytes = NPY.encode(float64: values, shape: [2, 3])
        let a = try NPY.decodeFloats(bytes)
        #expect(a.shape == [2, 3] && a.descr == "<f8")
        #expect(a.values.map(\.bitPattern) == values.map(\.bitPattern))
        // Same header layout as the float32 writer: the data starts at 128 (64-byte alignment).
        #expect(bytes.count == 128 + 48)
    }

    @Test func float32WidensExactly() throws {
        let t = Tensor(shape: [3], data: [0.1, -3, .leastNonzeroMagnitude])
        let a = try NPY.decodeFloats(NPY.encode(t))
        #expect(a.descr == "<f4" && a.values == t.data.map(Double.init))
    }

    @Test func otherDTypesAreRefused() {
        var bytes = NPY.encode(float64: [1, 2], shape: [2])
        let i = bytes.firstIndex(of: UInt8(ascii: "8"))!
        bytes[i] = UInt8(ascii: "2")  // '<f2'
        #expect(throws: ImageError.npyUnsupportedDType("<f2")) { try NPY.decodeFloats(bytes) }
        #expect(throws: ImageError.self) { try NPY.decodeFloats(Array(NPY.encode(float64: [1, 2], shape: [2]).dropLast())) }
    }
}
