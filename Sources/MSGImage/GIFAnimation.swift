import CGif
import CImageQuant

/// Animated GIF through giflib, each frame with its own 256-colour palette from
/// libimagequant (a real quantiser, not a fixed palette), optional
/// Floyd-Steinberg dithering. Delays in centiseconds (`FrameTiming`), loops
/// forever (NETSCAPE2.0). GIF is lossy by nature: use WebP for exact pixels.
public final class GIFAnimationEncoder: AnimationEncoder {
    public let width: Int
    public let height: Int
    public let fps: Int
    public let dither: Bool
    private var gif: UnsafeMutablePointer<GifFileType>?
    private let sink = ByteSink()
    private var count = 0

    /// The bytes giflib writes, reached from its C callback through `UserData`.
    final class ByteSink { var bytes: [UInt8] = [] }

    /// - Parameters: fps 1 ... 100 (GIF delays are whole centiseconds).
    public init(width: Int, height: Int, fps: Int, dither: Bool = false) throws(ImageError) {
        guard width >= 1, height >= 1, width <= 65535, height <= 65535 else {
            throw .animationFailed(format: "GIF", reason: "frame size \(width)x\(height) (each side 1 ... 65535)")
        }
        guard (1...100).contains(fps) else { throw .animationFailed(format: "GIF", reason: "fps \(fps) outside 1 ... 100") }
        self.width = width; self.height = height; self.fps = fps; self.dither = dither
        var error: Int32 = 0
        let write: OutputFunc = { file, data, n in
            guard let file, let data, n > 0 else { return 0 }
            let sink = Unmanaged<ByteSink>.fromOpaque(file.pointee.UserData).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(n)))
            return n
        }
        guard let g = EGifOpen(Unmanaged.passUnretained(sink).toOpaque(), write, &error) else {
            throw Self.failure("open", error)
        }
        gif = g
        EGifSetGifVersion(g, true)
        guard EGifPutScreenDesc(g, Int32(width), Int32(height), 8, 0, nil) == GIF_OK else { throw Self.failure("screen", g.pointee.Error) }
        // NETSCAPE2.0 application extension: loop count 0 = forever.
        let ok = EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE) == GIF_OK
            && Array("NETSCAPE2.0".utf8).withUnsafeBytes { EGifPutExtensionBlock(g, 11, $0.baseAddress) } == GIF_OK
            && [UInt8]([1, 0, 0]).withUnsafeBytes { EGifPutExtensionBlock(g, 3, $0.baseAddress) } == GIF_OK
            && EGifPutExtensionTrailer(g) == GIF_OK
        guard ok else { throw Self.failure("loop extension", g.pointee.Error) }
    }

    deinit {
        if let gif { var e: Int32 = 0; EGifCloseFile(gif, &e) }
    }

    public func add(_ frame: RGBImage) throws(ImageError) {
        guard let gif else { throw .animationFailed(format: "GIF", reason: "frame added after finish") }
        guard frame.width == width, frame.height == height else {
            throw .animationFailed(format: "GIF", reason: "frame \(count) is \(frame.width)x\(frame.height), the animation \(width)x\(height)")
        }
        let (indices, palette) = try quantize(frame)

        var gcb = GraphicsControlBlock(DisposalMode: DISPOSE_DO_NOT, UserInputFlag: false,
                                       DelayTime: Int32(FrameTiming.centiseconds(frame: count, fps: fps)),
                                       TransparentColor: NO_TRANSPARENT_COLOR)
        var ext = [UInt8](repeating: 0, count: 4)
        let n = EGifGCBToExtension(&gcb, &ext)
        guard EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, Int32(n), ext) == GIF_OK else { throw Self.failure("delay", gif.pointee.Error) }

        // GIF colour tables hold a power of two entries (2 ... 256).
        var size = 2
        while size < palette.count { size *= 2 }
        guard let map = GifMakeMapObject(Int32(size), nil) else { throw .animationFailed(format: "GIF", reason: "out of memory") }
        defer { GifFreeMapObject(map) }
        for (i, c) in palette.enumerated() { map.pointee.Colors[i] = GifColorType(Red: c.0, Green: c.1, Blue: c.2) }
        guard EGifPutImageDesc(gif, 0, 0, Int32(width), Int32(height), false, map) == GIF_OK else {
            throw Self.failure("image descriptor", gif.pointee.Error)
        }
        var rows = indices
        for y in 0..<height {
            let ok = rows.withUnsafeMutableBufferPointer { EGifPutLine(gif, $0.baseAddress! + y * width, Int32(width)) }
            guard ok == GIF_OK else { throw Self.failure("pixels", gif.pointee.Error) }
        }
        count += 1
    }

    public func finish() throws(ImageError) -> [UInt8] {
        guard let g = gif else { throw .animationFailed(format: "GIF", reason: "finished twice") }
        gif = nil
        var error: Int32 = 0
        guard count > 0 else { EGifCloseFile(g, &error); throw .animationFailed(format: "GIF", reason: "no frames") }
        guard EGifCloseFile(g, &error) == GIF_OK else { throw Self.failure("close", error) }
        return sink.bytes
    }

    /// libimagequant: palette (<= 256 colours) and one index per pixel.
    private func quantize(_ frame: RGBImage) throws(ImageError) -> ([UInt8], [(UInt8, UInt8, UInt8)]) {
        guard let attr = liq_attr_create() else { throw .animationFailed(format: "GIF", reason: "out of memory") }
        defer { liq_attr_destroy(attr) }
        // libimagequant reads the bitmap in place until the image is destroyed.
        let rgba = UnsafeMutablePointer<UInt8>.allocate(capacity: width * height * 4)
        defer { rgba.deallocate() }
        for i in 0..<(width * height) {
            for c in 0..<3 { rgba[i * 4 + c] = frame.pixels[i * 3 + c] }
            rgba[i * 4 + 3] = 255
        }
        guard let image = liq_image_create_rgba(attr, rgba, Int32(width), Int32(height), 0) else {
            throw .animationFailed(format: "GIF", reason: "libimagequant refused frame \(count)")
        }
        defer { liq_image_destroy(image) }
        var result: OpaquePointer?
        guard liq_image_quantize(image, attr, &result) == LIQ_OK, let result else {
            throw .animationFailed(format: "GIF", reason: "libimagequant could not quantise frame \(count)")
        }
        defer { liq_result_destroy(result) }
        liq_set_dithering_level(result, dither ? 1 : 0)
        let indices = UnsafeMutablePointer<UInt8>.allocate(capacity: width * height)
        defer { indices.deallocate() }
        guard liq_write_remapped_image(result, image, indices, width * height) == LIQ_OK else {
            throw .animationFailed(format: "GIF", reason: "libimagequant could not remap frame \(count)")
        }
        let palette = liq_get_palette(result)!
        let n = min(256, Int(palette.pointee.count))
        // entries: liq_color {r, g, b, a} x 256, read as bytes (a 256-tuple in Swift).
        let entries = UnsafeRawPointer(palette) + MemoryLayout<liq_palette>.offset(of: \liq_palette.entries)!
        var colours: [(UInt8, UInt8, UInt8)] = []
        for i in 0..<n {
            let c = entries.load(fromByteOffset: i * MemoryLayout<liq_color>.stride, as: liq_color.self)
            colours.append((c.r, c.g, c.b))
        }
        return (Array(UnsafeBufferPointer(start: indices, count: width * height)), colours)
    }

    private static func failure(_ step: String, _ code: Int32) -> ImageError {
        .animationFailed(format: "GIF", reason: "\(step): \(GifErrorString(code).map { String(cString: $0) } ?? "giflib error \(code)")")
    }

    /// Decodes with giflib's `DGifSlurp`: every frame composed onto the canvas
    /// (frames that do not cover it keep what was there), as RGB.
    public static func decode(_ bytes: [UInt8]) throws(ImageError) -> DecodedAnimation {
        final class Source { let bytes: [UInt8]; var at = 0; init(_ b: [UInt8]) { bytes = b } }
        let source = Source(bytes)
        let read: InputFunc = { file, out, n in
            guard let file, let out else { return 0 }
            let s = Unmanaged<Source>.fromOpaque(file.pointee.UserData).takeUnretainedValue()
            let k = min(Int(n), s.bytes.count - s.at)
            for i in 0..<k { out[i] = s.bytes[s.at + i] }
            s.at += k
            return Int32(k)
        }
        var error: Int32 = 0
        guard let g = withExtendedLifetime(source, { DGifOpen(Unmanaged.passUnretained(source).toOpaque(), read, &error) }) else {
            throw failure("open", error)
        }
        defer { var e: Int32 = 0; DGifCloseFile(g, &e) }
        guard withExtendedLifetime(source, { DGifSlurp(g) }) == GIF_OK else { throw failure("read", g.pointee.Error) }
        let w = Int(g.pointee.SWidth), h = Int(g.pointee.SHeight)
        var canvas = [UInt8](repeating: 0, count: w * h * 3)
        var out = DecodedAnimation(frames: [], durationsMs: [], loopCount: 0)
        for k in 0..<Int(g.pointee.ImageCount) {
            let image = g.pointee.SavedImages[k]
            let d = image.ImageDesc
            guard let map = d.ColorMap ?? g.pointee.SColorMap else { throw .animationFailed(format: "GIF", reason: "frame \(k) has no colour table") }
            var gcb = GraphicsControlBlock()
            let delay = DGifSavedExtensionToGCB(g, Int32(k), &gcb) == GIF_OK ? Int(gcb.DelayTime) : 0
            for y in 0..<Int(d.Height) { for x in 0..<Int(d.Width) {
                let cx = Int(d.Left) + x, cy = Int(d.Top) + y
                guard cx < w, cy < h else { continue }
                let idx = Int(image.RasterBits[y * Int(d.Width) + x])
                guard idx < Int(map.pointee.ColorCount) else { continue }
                let c = map.pointee.Colors[idx]
                canvas[(cy * w + cx) * 3] = c.Red; canvas[(cy * w + cx) * 3 + 1] = c.Green; canvas[(cy * w + cx) * 3 + 2] = c.Blue
            } }
            out.frames.append(RGBImage(width: w, height: h, pixels: canvas))
            out.durationsMs.append(delay * 10)
        }
        return out
    }
}
