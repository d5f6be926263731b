import Testing
@testable import MSGImage
import MSGTensor

/// Animations decoded with the libraries' own decoders (libwebp's
/// WebPAnimDecoder, giflib's DGifSlurp).
@Suite struct AnimationTests {
    /// Distinct frames of deterministic pseudo-random pixels (few colours for GIF).
    static func frames(_ n: Int, width: Int = 9, height: Int = 7, levels: Int = 256) -> [RGBImage] {
        var state: UInt32 = 12345
        return (0..<n).map { _ in
            RGBImage(width: width, height: height, pixels: (0..<(width * height * 3)).map { _ in
                state = state &* 1_664_525 &+ 1_013_904_223
                return UInt8((Int(state >> 24) % levels) * (255 / max(1, levels - 1)))
            })
        }
    }

    @Test func frameTimingDoesNotDrift() {
        #expect((0...3).map { FrameTiming.milliseconds(frame: $0, fps: 30) } == [0, 33, 67, 100])
        #expect((0..<3).map { FrameTiming.centiseconds(frame: $0, fps: 30) } == [3, 4, 3])
        #expect((0..<30).map { FrameTiming.centiseconds(frame: $0, fps: 30) }.reduce(0, +) == 100)
        #expect(FrameTiming.centiseconds(frame: 0, fps: 100) == 1)
    }

    @Test func losslessWebPFramesAreExactlyTheInput() throws {
        let input = Self.frames(4)
        let enc = try WebPAnimationEncoder(width: 9, height: 7, fps: 30)
        for f in input { try enc.add(f) }
        let bytes = try enc.finish()
        #expect(Array(bytes[0..<4]) == Array("RIFF".utf8) && Array(bytes[8..<12]) == Array("WEBP".utf8))
        let decoded = try WebPAnimationEncoder.decode(bytes)
        #expect(decoded.frames == input)
        #expect(decoded.durationsMs == [33, 34, 33, 33])
        #expect(decoded.loopCount == 0)
    }

    @Test func lossyWebPDecodesToTheRightFrames() throws {
        let input = Self.frames(3, width: 16, height: 16)
        let enc = try WebPAnimationEncoder(width: 16, height: 16, fps: 10, quality: 80)
        for f in input { try enc.add(f) }
        let decoded = try WebPAnimationEncoder.decode(try enc.finish())
        #expect(decoded.frames.count == 3 && decoded.frames.allSatisfy { $0.width == 16 && $0.height == 16 })
        #expect(decoded.durationsMs == [100, 100, 100])
    }

    @Test(arguments: [false, true])
    func gifFramesDelaysAndPalettes(dither: Bool) throws {
        // 4 levels per channel: 64 colours, within one palette, so quantisation is exact.
        let input = Self.frames(3, levels: 4)
        let enc = try GIFAnimationEncoder(width: 9, height: 7, fps: 30, dither: dither)
        for f in input { try enc.add(f) }
        let bytes = try enc.finish()
        #expect(Array(bytes[0..<6]) == Array("GIF89a".utf8))
        let decoded = try GIFAnimationEncoder.decode(bytes)
        #expect(decoded.frames.count == 3)
        #expect(decoded.durationsMs == [30, 40, 30])
        #expect(decoded.frames == input)
    }

    @Test func gifQuantisesManyColoursClosely() throws {
        let input = Self.frames(2, width: 32, height: 32)
        let enc = try GIFAnimationEncoder(width: 32, height: 32, fps: 5)
        for f in input { try enc.add(f) }
        let decoded = try GIFAnimationEncoder.decode(try enc.finish())
        #expect(decoded.frames.count == 2 && decoded.durationsMs == [200, 200])
        // Random noise over 16M colours in 256: a real quantiser keeps the mean error well below a level of 64.
        let err = zip(decoded.frames[0].pixels, input[0].pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / input[0].pixels.count
        #expect(err < 40)
    }

    @Test func encodersRefuseBadInput() throws {
        #expect(throws: ImageError.self) { try WebPAnimationEncoder(width: 0, height: 4, fps: 30) }
        #expect(throws: ImageError.self) { try WebPAnimationEncoder(width: 4, height: 4, fps: 0) }
        #expect(throws: ImageError.self) { try WebPAnimationEncoder(width: 4, height: 4, fps: 30, quality: 101) }
        #expect(throws: ImageError.self) { try GIFAnimationEncoder(width: 4, height: 4, fps: 101) }
        #expect(throws: ImageError.self) { try GIFAnimationEncoder(width: 70000, height: 4, fps: 10) }
        let w = try WebPAnimationEncoder(width: 4, height: 4, fps: 30)
        #expect(throws: ImageError.self) { try w.add(RGBImage(width: 5, height: 4, fill: (0, 0, 0))) }
        #expect(throws: ImageError.self) { try w.finish() }  // no frames
        let g = try GIFAnimationEncoder(width: 4, height: 4, fps: 30)
        #expect(throws: ImageError.self) { try g.add(RGBImage(width: 4, height: 3, fill: (0, 0, 0))) }
        #expect(throws: ImageError.self) { try g.finish() }
        #expect(throws: ImageError.self) { try g.finish() }  // twice
    }

    @Test func decodersRefuseGarbage() {
        #expect(throws: ImageError.self) { try WebPAnimationEncoder.decode([1, 2, 3]) }
        #expect(throws: ImageError.self) { try GIFAnimationEncoder.decode(Array("GIF89a".utf8) + [0, 0]) }
    }
}
