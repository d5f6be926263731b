import Testing
@testable import MSGImage

struct RGBImageTests {
    /// A w x h image whose pixel (x, y) is (x, y, 7).
    static func coordinates(width: Int, height: Int) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height { for x in 0..<width { pixels += [UInt8(x), UInt8(y), 7] } }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test func fill() {
        let image = RGBImage(width: 3, height: 2, fill: (1, 2, 3))
        #expect(image.pixels == [UInt8](repeating: 0, count: 6).flatMap { _ in [UInt8(1), 2, 3] })
    }

    @Test("upscaled repeats every pixel into a factor x factor block", arguments: [1, 2, 3, 4])
    func upscaled(factor: Int) {
        let image = Self.coordinates(width: 3, height: 2)
        let big = image.upscaled(by: factor)
        #expect(big.width == 3 * factor && big.height == 2 * factor)
        for y in 0..<big.height {
            for x in 0..<big.width {
                #expect(big[x, y] == image[x / factor, y / factor])
            }
        }
    }
}
