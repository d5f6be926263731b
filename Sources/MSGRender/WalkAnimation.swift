import MSGGen
import MSGImage
import MSGTensor

/// Animated walk containers.
public enum AnimationFormat: String, Sendable, CaseIterable {
    case webp, gif
}

/// Everything that decides a walk animation's bytes (the CLI's `walk` and the
/// server's `/v1/walk` build the same request, so they give the same file).
public struct WalkRequest: Sendable {
    public var walk: LatentWalk
    public var options: RenderOptions
    public var scales: ScaleSelection
    public var format: AnimationFormat
    public var fps: Int
    /// WebP: nil = lossless (exact PNG pixels), else lossy quality 0 ... 100.
    public var quality: Int?
    /// GIF: Floyd-Steinberg dithering of each frame's palette.
    public var dither: Bool

    public init(walk: LatentWalk, options: RenderOptions, scales: ScaleSelection, format: AnimationFormat,
                fps: Int = 30, quality: Int? = nil, dither: Bool = false) {
        self.walk = walk; self.options = options; self.scales = scales; self.format = format
        self.fps = fps; self.quality = quality; self.dither = dither
    }
}

/// Renders a walk and encodes it as it goes: each batch of frames is composed
/// (the selected scale, or the multi-scale sheet for `all`, exactly as a
/// single-seed render composes it) and handed to the encoder, then dropped.
public enum WalkAnimation {
    /// RGB pixels of one frame, and of all frames together (CLI limits; the
    /// server has its own, lower ones).
    public static let maxFramePixels = 1 << 24
    public static let maxTotalPixels = 1 << 32

    /// The picture of one frame: what `msg-gen --seed S --scales ...` would
    /// write for that frame's latent (same pixels).
    public static func frame(_ scales: [Tensor], indices: [Int]) throws -> RGBImage {
        let images = try Pictures.images(scales, indices: indices)
        return indices.count > 1 ? Layout.multiScaleSheet([images]) : images[0]
    }

    /// Pixels of one frame before padding, as limits count them.
    public static func framePixels(model: Model, scaleIndices: [Int]) -> Int {
        Pictures.pixelCount(model: model, count: 1, scaleIndices: scaleIndices)
    }

    /// - Throws: `GenError.invalidOption` naming the limit when a frame or the
    ///   whole walk has more pixels than allowed, or fps is out of range.
    public static func check(_ request: WalkRequest, model: Model, maxFramePixels: Int = maxFramePixels,
                             maxTotalPixels: Int = maxTotalPixels) throws {
        let indices = try request.scales.indices(in: model)
        let perFrame = framePixels(model: model, scaleIndices: indices)
        guard perFrame <= maxFramePixels else {
            throw GenError.invalidOption("a frame would hold \(perFrame) pixels (limit \(maxFramePixels)); choose fewer scales")
        }
        let (total, overflow) = perFrame.multipliedReportingOverflow(by: request.walk.frameCount)
        guard !overflow, total <= maxTotalPixels else {
            throw GenError.invalidOption("\(request.walk.frameCount) frames of \(perFrame) pixels exceed \(maxTotalPixels) pixels; use fewer frames or scales")
        }
        let fpsLimit = request.format == .gif ? 100 : 1000
        guard (1...fpsLimit).contains(request.fps) else {
            throw GenError.invalidOption("fps \(request.fps) outside 1 ... \(fpsLimit) for \(request.format.rawValue)")
        }
        if let q = request.quality, !(0...100).contains(q) { throw GenError.invalidOption("quality \(q) outside 0 ... 100") }
    }

    /// The animation's bytes. `onFrame(done)` reports progress after each frame.
    public static func encode(_ request: WalkRequest, renderer: Renderer, onFrame: (Int) -> Void = { _ in }) throws -> [UInt8] {
        try check(request, model: renderer.model)
        let indices = try request.scales.indices(in: renderer.model)
        var encoder: AnimationEncoder?
        try renderer.render(walk: request.walk, options: request.options) { i, scales in
            let picture = try frame(scales, indices: indices)
            if encoder == nil {
                switch request.format {
                case .webp: encoder = try WebPAnimationEncoder(width: picture.width, height: picture.height, fps: request.fps, quality: request.quality)
                case .gif: encoder = try GIFAnimationEncoder(width: picture.width, height: picture.height, fps: request.fps, dither: request.dither)
                }
            }
            try encoder!.add(picture)
            onFrame(i + 1)
        }
        return try encoder!.finish()
    }
}
