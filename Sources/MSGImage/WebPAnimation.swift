import CWebP

/// Animated WebP through libwebp's `WebPAnimEncoder` (libwebpmux). Lossless by
/// default: every decoded frame holds exactly the RGB pixels given (the PNG's);
/// `quality` 0 ... 100 switches to lossy VP8. Loops forever.
public final class WebPAnimationEncoder: AnimationEncoder {
    public let width: Int
    public let height: Int
    public let fps: Int
    public let quality: Int?
    private var encoder: OpaquePointer?
    private var count = 0

    /// - Parameters: fps 1 ... 1000; quality nil (lossless) or 0 ... 100.
    /// - Throws: `ImageError.animationFailed` for bad sizes or options.
    public init(width: Int, height: Int, fps: Int, quality: Int? = nil) throws(ImageError) {
        guard width >= 1, height >= 1, width <= Int(WEBP_MAX_DIMENSION), height <= Int(WEBP_MAX_DIMENSION) else {
            throw .animationFailed(format: "WebP", reason: "frame size \(width)x\(height) (each side 1 ... \(WEBP_MAX_DIMENSION))")
        }
        guard (1...1000).contains(fps) else { throw .animationFailed(format: "WebP", reason: "fps \(fps) outside 1 ... 1000") }
        if let quality, !(0...100).contains(quality) {
            throw .animationFailed(format: "WebP", reason: "quality \(quality) outside 0 ... 100")
        }
        self.width = width; self.height = height; self.fps = fps; self.quality = quality
        var options = WebPAnimEncoderOptions()
        guard WebPAnimEncoderOptionsInit(&options) != 0 else { throw .animationFailed(format: "WebP", reason: "libwebp version mismatch") }
        options.anim_params.loop_count = 0
        options.allow_mixed = 0
        guard let e = WebPAnimEncoderNew(Int32(width), Int32(height), &options) else {
            throw .animationFailed(format: "WebP", reason: "cannot create the encoder (out of memory?)")
        }
        encoder = e
    }

    deinit { if let encoder { WebPAnimEncoderDelete(encoder) } }

    public func add(_ frame: RGBImage) throws(ImageError) {
        guard let encoder else { throw .animationFailed(format: "WebP", reason: "frame added after finish") }
        guard frame.width == width, frame.height == height else {
            throw .animationFailed(format: "WebP", reason: "frame \(count) is \(frame.width)x\(frame.height), the animation \(width)x\(height)")
        }
        var config = WebPConfig()
        guard WebPConfigInit(&config) != 0 else { throw .animationFailed(format: "WebP", reason: "libwebp version mismatch") }
        if let quality {
            config.lossless = 0
            config.quality = Float(quality)
        } else {
            config.lossless = 1
            config.exact = 1
            config.quality = 75  // lossless effort, not fidelity
        }
        var picture = WebPPicture()
        guard WebPPictureInit(&picture) != 0 else { throw .animationFailed(format: "WebP", reason: "libwebp version mismatch") }
        defer { WebPPictureFree(&picture) }
        picture.use_argb = 1
        picture.width = Int32(width)
        picture.height = Int32(height)
        let imported = frame.pixels.withUnsafeBufferPointer { WebPPictureImportRGB(&picture, $0.baseAddress, Int32(width * 3)) }
        guard imported != 0 else { throw .animationFailed(format: "WebP", reason: "cannot import frame \(count) (out of memory?)") }
        let ts = Int32(FrameTiming.milliseconds(frame: count, fps: fps))
        guard WebPAnimEncoderAdd(encoder, &picture, ts, &config) != 0 else {
            throw .animationFailed(format: "WebP", reason: "frame \(count): \(Self.message(encoder))")
        }
        count += 1
    }

    public func finish() throws(ImageError) -> [UInt8] {
        guard let encoder else { throw .animationFailed(format: "WebP", reason: "finished twice") }
        defer { WebPAnimEncoderDelete(encoder); self.encoder = nil }
        guard count > 0 else { throw .animationFailed(format: "WebP", reason: "no frames") }
        guard WebPAnimEncoderAdd(encoder, nil, Int32(FrameTiming.milliseconds(frame: count, fps: fps)), nil) != 0 else {
            throw .animationFailed(format: "WebP", reason: Self.message(encoder))
        }
        var data = WebPData()
        guard WebPAnimEncoderAssemble(encoder, &data) != 0 else {
            throw .animationFailed(format: "WebP", reason: "assembling: \(Self.message(encoder))")
        }
        defer { WebPDataClear(&data) }
        return Array(UnsafeBufferPointer(start: data.bytes, count: data.size))
    }

    private static func message(_ e: OpaquePointer) -> String {
        WebPAnimEncoderGetError(e).map { String(cString: $0) } ?? "unknown error"
    }

    /// Decodes with libwebp's `WebPAnimDecoder` (libwebpdemux): full canvases as RGB.
    public static func decode(_ bytes: [UInt8]) throws(ImageError) -> DecodedAnimation {
        var result: DecodedAnimation?
        var failure: String?
        bytes.withUnsafeBufferPointer { buf in
            var data = WebPData(bytes: buf.baseAddress, size: buf.count)
            var options = WebPAnimDecoderOptions()
            guard WebPAnimDecoderOptionsInit(&options) != 0 else { failure = "libwebp version mismatch"; return }
            options.color_mode = MODE_RGBA
            options.use_threads = 0
            guard let dec = WebPAnimDecoderNew(&data, &options) else { failure = "not an animated WebP, or corrupt"; return }
            defer { WebPAnimDecoderDelete(dec) }
            var info = WebPAnimInfo()
            guard WebPAnimDecoderGetInfo(dec, &info) != 0 else { failure = "cannot read the animation info"; return }
            let w = Int(info.canvas_width), h = Int(info.canvas_height)
            var out = DecodedAnimation(frames: [], durationsMs: [], loopCount: Int(info.loop_count))
            var previous: Int32 = 0
            while WebPAnimDecoderHasMoreFrames(dec) != 0 {
                var rgba: UnsafeMutablePointer<UInt8>?
                var ts: Int32 = 0
                guard WebPAnimDecoderGetNext(dec, &rgba, &ts) != 0, let rgba else { failure = "frame \(out.frames.count) is corrupt"; return }
                var px = [UInt8](repeating: 0, count: w * h * 3)
                for i in 0..<(w * h) { for c in 0..<3 { px[i * 3 + c] = rgba[i * 4 + c] } }
                out.frames.append(RGBImage(width: w, height: h, pixels: px))
                out.durationsMs.append(Int(ts - previous))  // ts is the frame's end time
                previous = ts
            }
            result = out
        }
        guard let result else { throw .animationFailed(format: "WebP", reason: failure ?? "decoding failed") }
        return result
    }
}
