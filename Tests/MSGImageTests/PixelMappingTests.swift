import Testing
import MSGTensor
@testable import MSGImage

struct PixelMappingTests {
    @Test("matches numpy's float32 rule on boundaries, extremes and random values")
    func matchesNumpy() throws {
        let raw = try Fixtures.bytes("pixel_inputs_f32.bin")
        let expected = try Fixtures.bytes("pixel_expected_u8.bin")
        #expect(raw.count == expected.count * 4)
        var mismatches: [(Float, UInt8, UInt8)] = []
        for i in 0..<expected.count {
            let bits = UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16 | UInt32(raw[4 * i + 3]) << 24
            let x = Float(bitPattern: bits)
            let got = PixelMapping.toUInt8(x)
            if got != expected[i] { mismatches.append((x, got, expected[i])) }
        }
        #expect(mismatches.isEmpty, "first mismatches (x, got, numpy): \(mismatches.prefix(5))")
    }

    @Test("the vectorised conversion (RGBImage, GridWriter) matches numpy's rule value by value, in every channel")
    func vectorPathMatchesNumpy() throws {
        let raw = try Fixtures.bytes("pixel_inputs_f32.bin")
        let expected = try Fixtures.bytes("pixel_expected_u8.bin")
        let n = expected.count
        let xs: [Float] = (0..<n).map { i in
            Float(bitPattern: UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16 | UInt32(raw[4 * i + 3]) << 24)
        }
        // Each channel gets the values in another order, so a channel mix-up shows.
        let planes = [xs, Array(xs.reversed()), Array(xs[(n / 3)...] + xs[..<(n / 3)])]
        let wants = [Array(expected), Array(expected.reversed()), Array(expected[(n / 3)...] + expected[..<(n / 3)])]
        let image = try RGBImage(chw: Tensor(shape: [3, 1, n], data: planes.flatMap { $0 }))
        var mismatches = 0
        for i in 0..<n { for c in 0..<3 where image.pixels[3 * i + c] != wants[c][i] { mismatches += 1 } }
        #expect(mismatches == 0)
        let named: [Float] = [-1, 0, 1, -0.0, 2, -2, .infinity, -.infinity, .greatestFiniteMagnitude,
                              -.greatestFiniteMagnitude, .nan, -.nan, .signalingNaN]
        let row = try RGBImage(chw: Tensor(shape: [3, 1, named.count], data: named + named + named))
        #expect((0..<named.count).allSatisfy { i in (0..<3).allSatisfy { c in row.pixels[3 * i + c] == PixelMapping.toUInt8(named[i]) } })
    }

    @Test("named values", arguments: [
        (Float(-1), UInt8(0)), (0, 128), (1, 255), (-0.0, 128),
        (2, 255), (-2, 0), (.infinity, 255), (-.infinity, 0),
        (.greatestFiniteMagnitude, 255), (-.greatestFiniteMagnitude, 0),
        (.nan, 0), (-.nan, 0), (.signalingNaN, 0),
    ])
    func namedValues(x: Float, want: UInt8) {
        #expect(PixelMapping.toUInt8(x) == want)
    }

    @Test("RGBImage(chw:) maps [3, H, W] planes to interleaved bytes")
    func chwToHWC() throws {
        // Planes: R = -1, 0 / G = 1, 0.5 / B = -0.5, NaN over a 1x2 image.
        let tensor = Tensor(shape: [3, 1, 2], data: [-1, 0, 1, 0.5, -0.5, .nan])
        let image = try RGBImage(chw: tensor)
        #expect(image.width == 2 && image.height == 1)
        #expect(image.pixels == [0, 255, 64, 128, 191, 0])
    }

    @Test("RGBImage(chw:) rejects other shapes", arguments: [[3, 4], [1, 3, 2, 2], [4, 2, 2], [3, 0, 2], [3, 2, 0]])
    func chwRejects(shape: [Int]) {
        let tensor = Tensor(zeros: shape)
        #expect(throws: ImageError.invalidTensorShape(shape)) { try RGBImage(chw: tensor) }
    }
}
