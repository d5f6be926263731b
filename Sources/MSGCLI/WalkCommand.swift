import ArgumentParser
import Foundation
import MSGGen
import MSGImage
import MSGRender

extension LatentSpace: ExpressibleByArgument {}
extension Interpolation: ExpressibleByArgument {}

/// `msg-gen walk`: an animation through latent space, every scale if asked.
public struct WalkCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "walk",
        abstract: "Render a latent walk as an animated WebP or GIF, or as .npy frames.",
        discussion: """
        Keyframes (--seeds, or --latents FILE) are joined by --frames frames per segment; frame j*N is \
        keyframe j, bit for bit the image `msg-gen --seed S` renders with the same options. --random-walk \
        renders msg-stylegan-tf's smoothed random walk instead. The --out extension picks the container: \
        .webp (lossless unless --quality) or .gif; --format npy --out DIR writes DIR/frame{F}-{R}x{R}.npy.
        """
    )

    @Option(name: .long, help: "Keyframe seeds, two or more, e.g. 1,5,9.")
    public var seeds: String?

    @Option(name: .long, help: "Keyframe z vectors from a file (.npy [K, latent] or .npz key z); noise seed = index.")
    public var latents: String?

    @Option(name: .long, help: "Frames per segment (1 ... 10000).")
    public var frames: Int = 30

    @Flag(name: .long, help: "Close the path back to the first keyframe (K x N frames).")
    public var loop = false

    @Option(name: .long, help: "Interpolate in z, or in w (msg-stylegan: the mapping output before truncation).")
    public var space: LatentSpace = .z

    @Option(name: .long, help: "linear or slerp (default: slerp in z, linear in w).")
    public var interp: Interpolation?

    @Flag(name: .customLong("random-walk"), help: "msg-stylegan-tf's random walk: smoothed Gaussian noise through z (needs --seed).")
    public var randomWalk = false

    @Option(name: .long, help: "Random walk: its seed (0 ... 4294967295).")
    public var seed: UInt32?

    @Option(name: .long, help: "Random walk: length in seconds (frames = round(duration x fps)).")
    public var duration: Double = 10

    @Option(name: .long, help: "Random walk: Gaussian smoothing sigma in seconds (upstream's --smoothing; sigma = smoothing x fps frames).")
    public var smoothing: Double = 1

    @Option(name: .long, help: "Frames per second of the animation (GIF: 1 ... 100; WebP: 1 ... 1000).")
    public var fps: Int = 30

    @Option(name: .long, help: "WebP: lossy with this quality (0 ... 100); default lossless (exact pixels).")
    public var quality: Int?

    @Flag(name: .long, help: "GIF: dither each frame's palette (Floyd-Steinberg).")
    public var dither = false

    @Option(name: .long, help: "Output scales: max, all (every frame the multi-scale sheet), or a resolution.")
    public var scales: ScaleSelection = .max

    @Option(name: .long, help: "npy to write raw float32 frames into the --out directory (default: from the --out extension).")
    public var format: WalkFormat?

    @Option(name: .long, help: "Output .webp or .gif file, or the directory for --format npy (default: a name in the current directory).")
    public var out: String?

    @Flag(name: .long, help: "No progress line on stderr.")
    public var quiet = false

    @OptionGroup public var model: ModelOptions
    @OptionGroup(title: "MSG-StyleGAN") public var style: StyleOptions
    @OptionGroup public var compute: ComputeOptions

    public enum WalkFormat: String, ExpressibleByArgument, CaseIterable, Sendable { case webp, gif, npy }

    public init() {}

    public mutating func validate() throws {
        if randomWalk {
            guard seeds == nil, latents == nil else { throw ValidationError("--random-walk draws its own path: drop --seeds / --latents") }
            guard seed != nil else { throw ValidationError("--random-walk needs --seed") }
            guard space == .z else { throw ValidationError("--random-walk walks in z (as upstream); drop --space w") }
            guard duration.isFinite, duration > 0, duration <= 3600 else { throw ValidationError("--duration must be in (0, 3600] seconds") }
            guard smoothing.isFinite, smoothing >= 0, smoothing <= 60 else { throw ValidationError("--smoothing must be in 0 ... 60 seconds") }
        } else {
            guard (seeds == nil) != (latents == nil) else { throw ValidationError("give the keyframes: --seeds A,B,... or --latents FILE (or --random-walk)") }
            guard seed == nil else { throw ValidationError("--seed is for --random-walk; keyframes are --seeds") }
        }
        guard (1...LatentWalk.maxFrames).contains(frames) else { throw ValidationError("--frames must be between 1 and \(LatentWalk.maxFrames), got \(frames)") }
        guard (1...1000).contains(fps) else { throw ValidationError("--fps must be between 1 and 1000, got \(fps)") }
        if let quality, !(0...100).contains(quality) { throw ValidationError("--quality must be between 0 and 100, got \(quality)") }
        let f = try resolvedFormat()
        if quality != nil && f != .webp { throw ValidationError("--quality applies to .webp output") }
        if dither && f != .gif { throw ValidationError("--dither applies to .gif output") }
    }

    /// --format, else the --out extension, else WebP.
    func resolvedFormat() throws -> WalkFormat {
        if let format { return format }
        guard let out else { return .webp }
        switch (out as NSString).pathExtension.lowercased() {
        case "webp": return .webp
        case "gif": return .gif
        default: throw ValidationError("--out \(out): the extension must be .webp or .gif (or give --format npy and a directory)")
        }
    }

    /// The walk these options describe, for `model`.
    func makeWalk(model m: Model) throws -> LatentWalk {
        if randomWalk {
            let n = Int((duration * Double(fps)).rounded())
            guard n >= 2, n <= LatentWalk.maxFrames else {
                throw ValidationError("--duration x --fps gives \(n) frames; a random walk needs 2 ... \(LatentWalk.maxFrames)")
            }
            let z = try RandomWalk.latents(seed: seed!, frames: n, latentSize: m.latentSize, sigma: smoothing * Double(fps))
            return try LatentWalk(keyframes: z, noiseSeeds: z.map { _ in seed! }, framesPerSegment: 1, space: .z, interpolation: .linear)
        }
        if space == .w && m.family != .msgStyleGAN {
            throw GenError.invalidOption("--space w needs an msg-stylegan model; \(m.name) is msg-progan (it has no w)")
        }
        let keys: [[Double]], noise: [UInt32]
        if let latents {
            keys = try LatentsFile.z(LatentsFile.load(path: latents), source: latents, model: m)
            noise = keys.indices.map { UInt32($0) }
        } else {
            noise = try SeedList.parse(seeds!)
            keys = noise.map { Latents.gaussian(seed: $0, count: m.latentSize) }
        }
        return try LatentWalk(keyframes: keys, noiseSeeds: noise, framesPerSegment: frames, loop: loop, space: space,
                              interpolation: interp ?? (space == .z ? .slerp : .linear))
    }

    public func run() throws {
        let m = try model.load()
        let walk = try makeWalk(model: m)
        let options = try style.renderOptions(for: m)
        let renderer = Renderer(model: m, batch: compute.batch, threads: compute.threads)
        let progress = Progress(total: walk.frameCount, quiet: quiet)
        defer { progress.finish() }
        let format = try resolvedFormat()
        if format == .npy {
            let dir = out ?? "."
            let indices = try scales.indices(in: m)
            try Output.makeDirectory(dir)
            try renderer.render(walk: walk, options: options) { i, frame in
                try Output.writeNPY(scales: frame, indices: indices, model: m, directory: dir, stem: "frame\(i)")
                progress.update(done: i + 1)
            }
            print(dir)
            return
        }
        let request = WalkRequest(walk: walk, options: options, scales: scales, format: format == .gif ? .gif : .webp,
                                  fps: fps, quality: quality, dither: dither)
        let bytes = try WalkAnimation.encode(request, renderer: renderer) { progress.update(done: $0) }
        let path = out ?? defaultName(model: m, format: format)
        try AtomicFile.write(bytes, to: path)
        print(path)
    }

    func defaultName(model m: Model, format: WalkFormat) -> String {
        let what = randomWalk ? "randomwalk\(seed!)" : latents.map { "latents-" + (($0 as NSString).lastPathComponent as NSString).deletingPathExtension }
            ?? "walk-" + seeds!.replacingOccurrences(of: ",", with: "_")
        return "\(m.name)-\(what)\(Output.suffix(scales)).\(format.rawValue)"
    }
}
