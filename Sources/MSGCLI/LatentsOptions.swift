import ArgumentParser
import Foundation
import MSGGen
import MSGImage
import MSGRender
import MSGTensor

/// `--latents`, `--dlatents`, `--save-latents`: rendering vectors from files
/// instead of seeds, and writing what was rendered (render; walk takes `--latents`).
public struct LatentsOptions: ParsableArguments {
    @Option(name: .long, help: "Render z vectors from a file: .npy [N, latent] or [latent] (float32/float64), or .npz with key z.")
    public var latents: String?

    @Option(name: .long, help: "Render w (msg-stylegan) from a file: .npy [N, layers, dlatent] or [N, dlatent], or .npz with key w (stylegan2-ada's projected_w.npz). Truncated only if --psi is given.")
    public var dlatents: String?

    @Option(name: .customLong("save-latents"), help: "Also write the rendered latents to this .npz: z [N, latent] float64 and, for msg-stylegan, w [N, layers, dlatent] float32 exactly as rendered (after truncation).")
    public var saveLatents: String?

    public init() {}

    public mutating func validate() throws {
        if latents != nil && dlatents != nil { throw ValidationError("give --latents or --dlatents, not both") }
        if let s = saveLatents, !s.hasSuffix(".npz") { throw ValidationError("--save-latents writes .npz; got \(s)") }
    }

    /// Whether render must take the latents path (anything other than plain seeds).
    public var isGiven: Bool { latents != nil || dlatents != nil || saveLatents != nil }
}

extension LatentsSource {
    /// The source render's options name: --latents, --dlatents, else the seeds.
    static func load(_ o: LatentsOptions, model: Model, seeds: () throws -> [UInt32]) throws -> LatentsSource {
        if let path = o.latents { return .z(try LatentsFile.z(LatentsFile.load(path: path), source: path, model: model), file: path) }
        if let path = o.dlatents { return .w(try LatentsFile.w(LatentsFile.load(path: path), source: path, model: model), file: path) }
        return .seeds(try seeds())
    }

}

extension RenderCommand {
    /// Render from seeds or files, writing the latents when asked.
    func runLatents(model: Model, seedList: () throws -> [UInt32]) throws {
        let source = try LatentsSource.load(latentsOptions, model: model, seeds: seedList)
        let scaleIdx = try output.scales.indices(in: model)
        let renderer = Renderer(model: model, batch: compute.batch, threads: compute.threads)
        let options = try style.renderOptions(for: model)
        let progress = Progress(total: source.count, quiet: output.quiet)
        defer { progress.finish() }
        var savedZ: [[Double]] = [], savedW: [[Float]] = []
        let dir = output.out ?? "."
        // Renders every vector into `picture` (PNG) or .npy files, then writes the latents when asked.
        func renderAll(into picture: Pictures.SeedsPicture?) throws {
            try source.render(renderer, options: options) { i, scales, z, w in
                if let z { savedZ.append(z) }
                if let w { savedW.append(w) }
                switch output.format {
                case .npy:
                    let stem: String
                    if case .seeds(let s) = source { stem = "seed\(s[i])" } else { stem = "latent\(i)" }
                    try Output.writeNPY(scales: scales, indices: scaleIdx, model: model, directory: dir, stem: stem)
                case .png:
                    try picture?.add(scales)
                }
                progress.update(done: i + 1)
            }
            if let path = latentsOptions.saveLatents {
                let npz = LatentsFile.npz(z: savedZ, w: savedW.isEmpty ? nil : savedW, layers: model.styleLayerCount, dlatentSize: model.dlatentSize)
                try AtomicFile.write(npz, to: path)
            }
        }
        switch output.format {
        case .npy:
            try Output.makeDirectory(dir)
            try renderAll(into: nil)
            print(dir)
        case .png:
            try Output.checkPixelBudget(model: model, count: source.count, scales: scaleIdx)
            let path: String
            switch source {
            case .seeds(let list): path = output.out ?? Output.defaultName(model: model, seeds: list, scales: output.scales)
            case .z(_, let file), .w(_, let file):
                let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
                path = output.out ?? "\(model.name)-latents-\(stem).png"
            }
            // Each image goes into the 8-bit picture as soon as it is rendered, and the PNG to the file as it is encoded.
            try Output.streamPNG(to: path) { sink in
                let picture: Pictures.SeedsPicture
                switch source {
                case .seeds(let list):
                    picture = try Pictures.SeedsPicture(model: model, seeds: list, options: options, scales: output.scales, sink: sink)
                case .z(_, let file), .w(_, let file):
                    picture = try Pictures.latentsPicture(model: model, file: file, count: source.count, options: options,
                                                          scales: output.scales, sink: sink)
                }
                try renderAll(into: picture)
                try picture.finish()
            }
            print(path)
        }
    }
}
