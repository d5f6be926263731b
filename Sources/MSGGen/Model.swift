import Foundation
import MSGKernels
import MSGTensor
import MSGWeights

/// How StyleGAN noise inputs are filled (SEMANTICS.md): the stored tensors,
/// fresh seeded draws, or nothing.
public enum NoiseMode: String, Sendable, CaseIterable {
    case const, random, none
}

/// Per-request knobs. nil takes the model's own default.
public struct RenderOptions: Sendable, Equatable {
    public var psi: Double?
    public var cutoff: Int?
    public var noise: NoiseMode
    public var noiseSeed: UInt32

    public init(psi: Double? = nil, cutoff: Int? = nil, noise: NoiseMode = .const, noiseSeed: UInt32 = 0) {
        self.psi = psi; self.cutoff = cutoff; self.noise = noise; self.noiseSeed = noiseSeed
    }
}

/// A loaded generator of either family: weights folded once, immutable, shared
/// by every renderer (and every server worker).
public final class Model: @unchecked Sendable {
    public let file: ModelFile
    let backend: Backend

    enum Backend {
        case proGAN(ProGANGenerator)
    }

    public init(file: ModelFile) throws {
        self.file = file
        switch file.config {
        case .proGAN: backend = .proGAN(try ProGANGenerator(model: file))
        case .styleGAN: throw GenError.unsupported(file.name, "msg-stylegan models are not supported yet")
        }
    }

    public static func load(path: String) throws -> Model {
        try Model(file: ModelFile.open(path: path))
    }

    public var name: String { file.name }
    public var family: ModelFamily { file.config.family }
    public var resolutions: [Int] { file.config.resolutions }

    public var latentSize: Int {
        switch backend { case .proGAN(let g): g.config.latentSize }
    }

    /// Direct-convolution FLOPs per image (what benchmarks divide by time).
    public var flopsPerImage: Double {
        switch backend { case .proGAN(let g): g.flopsPerImage }
    }

    /// Index of resolution `r` among the outputs, or a clear error.
    public func scaleIndex(_ r: Int) throws -> Int {
        guard let i = resolutions.firstIndex(of: r) else {
            throw GenError.scaleNotInModel(name, r, available: resolutions)
        }
        return i
    }

    /// The latent a seed gives in this model's family (float32, as fed to the net).
    public func latent(seed: UInt32) -> [Float] {
        switch backend {
        case .proGAN(let g): Latents.proGAN(seed: seed, latentSize: g.config.latentSize)
        }
    }
}

/// Renders seeds in batches with buffers it owns: one per worker thread of a
/// CLI run or a server. Not thread-safe; make one per concurrent caller.
public final class Renderer {
    public let model: Model
    public let batch: Int
    public let threads: Int
    private var proGANWorkspace: ProGANGenerator.Workspace?

    public init(model: Model, batch: Int = 8, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.model = model
        self.batch = max(1, batch)
        self.threads = max(1, threads)
    }

    /// Renders `seeds` in order, `batch` at a time, calling `onImage(index,
    /// scales)` for each as soon as its batch is done; scales are `[3, R, R]`,
    /// 4x4 first. Each image depends only on its seed and the options, never on
    /// its batch-mates (a grid cell equals the single-seed render bit for bit).
    public func render(seeds: [UInt32], options: RenderOptions = RenderOptions(),
                       onImage: (_ index: Int, _ scales: [Tensor]) throws -> Void) throws {
        var start = 0
        while start < seeds.count {
            let chunk = Array(seeds[start..<min(seeds.count, start + batch)])
            let outputs = try forward(seeds: chunk, options: options)
            for (j, _) in chunk.enumerated() {
                try onImage(start + j, outputs.map { $0.slice(j) })
            }
            start += chunk.count
        }
    }

    /// One forward pass of up to `batch` seeds: a `[n, 3, R, R]` tensor per scale.
    public func forward(seeds: [UInt32], options: RenderOptions = RenderOptions()) throws -> [Tensor] {
        precondition(seeds.count <= batch)
        switch model.backend {
        case .proGAN(let g):
            let ws = proGANWorkspace ?? g.makeWorkspace(batch: batch, threads: threads)
            proGANWorkspace = ws
            let z = seeds.flatMap { model.latent(seed: $0) }
            return g.forward(latents: z, count: seeds.count, workspace: ws)
        }
    }
}
