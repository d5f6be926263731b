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
        case styleGAN(StyleGANGenerator)
    }

    /// `strategy` picks how conv layers compute (`.auto` unless comparing paths).
    public init(file: ModelFile, strategy: ConvLayer.Strategy = .auto) throws {
        self.file = file
        switch file.config {
        case .proGAN: backend = .proGAN(try ProGANGenerator(model: file, strategy: strategy))
        case .styleGAN: backend = .styleGAN(try StyleGANGenerator(model: file, strategy: strategy))
        }
        // The engine holds its own folded copy now; the file's pages need not stay resident.
        file.file.releaseResidentPages()
    }

    public static func load(path: String) throws -> Model {
        try Model(file: ModelFile.open(path: path))
    }

    public var name: String { file.name }
    public var family: ModelFamily { file.config.family }
    public var resolutions: [Int] { file.config.resolutions }

    public var latentSize: Int {
        switch backend {
        case .proGAN(let g): g.config.latentSize
        case .styleGAN(let g): g.config.latentSize
        }
    }

    /// StyleGAN: the number of w inputs (style layers); nil for MSG-ProGAN.
    public var styleLayerCount: Int? {
        switch backend {
        case .proGAN: nil
        case .styleGAN(let g): g.numLayers
        }
    }

    /// Direct-convolution FLOPs per image (what benchmarks divide by time).
    public var flopsPerImage: Double {
        switch backend {
        case .proGAN(let g): g.flopsPerImage
        case .styleGAN(let g): g.flopsPerImage
        }
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
        case .styleGAN(let g): Latents.styleGAN(seed: seed, latentSize: g.config.latentSize)
        }
    }

    /// The style layers a name selects (SEMANTICS.md: coarse 0-3, middle 4-7,
    /// fine 8 to the last), or an explicit list / ranges such as "0-3" or "4,5,6".
    public func styleLayers(_ spec: String) throws -> [Int] {
        guard let n = styleLayerCount else {
            throw GenError.styleRange(name, "style mixing needs an msg-stylegan model; this one is \(family.rawValue) (it has no w)")
        }
        let named: [String: ClosedRange<Int>] = ["coarse": 0...3, "middle": 4...7, "fine": 8...max(8, n - 1)]
        var layers: [Int] = []
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.trimmingCharacters(in: .whitespaces)
            let range: ClosedRange<Int>
            if let r = named[p] {
                range = r
            } else {
                let b = p.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                guard !b.isEmpty, b.count <= 2, let lo = Int(b[0]), let hi = Int(b.count == 2 ? b[1] : b[0]), lo >= 0, lo <= hi else {
                    throw GenError.styleRange(name, "styles '\(p)' is not coarse, middle, fine, a layer or a range like 0-3")
                }
                range = lo...hi
            }
            guard range.upperBound < n else {
                throw GenError.styleRange(name, "styles '\(p)' reach layer \(range.upperBound), but this model has layers 0-\(n - 1)")
            }
            layers.append(contentsOf: range)
        }
        return Array(Set(layers)).sorted()
    }
}

/// Renders seeds in batches with buffers it owns: one per worker thread of a
/// CLI run or a server. Not thread-safe; make one per concurrent caller.
public final class Renderer {
    public let model: Model
    public let batch: Int
    public let threads: Int
    var proGANWorkspace: ProGANGenerator.Workspace?
    private var styleGANWorkspace: StyleGANGenerator.Workspace?

    /// Attach to time every layer (bench --profile).
    public var profile: LayerProfile? {
        didSet { proGANWorkspace?.profile = profile; styleGANWorkspace?.profile = profile }
    }

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
        try forward(z: seeds.map { Latents.gaussian(seed: $0, count: model.latentSize) }, noiseSeeds: seeds, options: options)
    }

    /// The dlatents `[numLayers, dlatent]` a seed maps to under `options`' truncation.
    public func dlatents(seed: UInt32, options: RenderOptions) throws -> [Float] {
        guard case .styleGAN(let g) = model.backend else {
            throw GenError.wrongFamily(model.name, expected: .msgStyleGAN)
        }
        let t = g.truncation(psi: options.psi, cutoff: options.cutoff)
        return g.dlatents(w: g.mapping(latents: model.latent(seed: seed), count: 1), count: 1, psi: t.psi, cutoff: t.cutoff)
    }

    /// Style mixing (upstream's figure; stylegan2-ada's style_mixing.py): each
    /// cell takes the row seed's w with `layers` replaced by the column seed's w.
    /// Truncation only when `options.psi` is given. Random noise, if asked, is
    /// drawn for the row seed. Calls `onCell(row, col, scales)` row by row.
    public func mix(rows: [UInt32], cols: [UInt32], layers: [Int], options: RenderOptions,
                    onCell: (_ row: Int, _ col: Int, _ scales: [Tensor]) throws -> Void) throws {
        try mix(rows: rows, cols: cols, layersPerRow: rows.map { _ in layers }, options: options, onCell: onCell)
    }

    /// Mixing with its own layer list per row (upstream's figure: rows 0-2
    /// coarse, 3-4 middle, 5 fine).
    public func mix(rows: [UInt32], cols: [UInt32], layersPerRow: [[Int]], options: RenderOptions,
                    onCell: (_ row: Int, _ col: Int, _ scales: [Tensor]) throws -> Void) throws {
        precondition(layersPerRow.count == rows.count)
        guard case .styleGAN(let g) = model.backend else {
            throw GenError.styleRange(model.name, "style mixing needs an msg-stylegan model; this one is \(model.family.rawValue) (it has no w)")
        }
        for layers in layersPerRow where !layers.allSatisfy({ $0 >= 0 && $0 < g.numLayers }) {
            throw GenError.styleRange(model.name, "mixing layers \(layers) outside 0-\(g.numLayers - 1)")
        }
        var opts = options
        if opts.psi == nil { opts.psi = 1 }
        let rowW = try rows.map { try dlatents(seed: $0, options: opts) }
        let colW = try cols.map { try dlatents(seed: $0, options: opts) }
        let d = g.config.dlatentSize
        var cells: [(Int, Int)] = []
        for r in rows.indices { for c in cols.indices { cells.append((r, c)) } }
        var start = 0
        while start < cells.count {
            let chunk = Array(cells[start..<min(cells.count, start + batch)])
            var dl: [Float] = []
            for (r, c) in chunk { dl += Self.mixed(rowW: rowW[r], colW: colW[c], layers: layersPerRow[r], dlatentSize: d) }
            let out = synthesize(g, dlatents: dl, noiseSeeds: chunk.map { rows[$0.0] }, options: opts)
            for (j, (r, c)) in chunk.enumerated() { try onCell(r, c, out.map { $0.slice(j) }) }
            start += chunk.count
        }
    }

    /// One mixing cell's dlatents `[numLayers, dlatent]`: the row's with `layers`
    /// replaced by the column's (what `mix` feeds synthesis; a server batches cells with it).
    public static func mixed(rowW: [Float], colW: [Float], layers: [Int], dlatentSize d: Int) -> [Float] {
        var w = rowW
        for l in layers { for j in 0..<d { w[l * d + j] = colW[l * d + j] } }
        return w
    }

    /// The dlatent width of an msg-stylegan model (nil for msg-progan).
    public var dlatentSize: Int? {
        guard case .styleGAN(let g) = model.backend else { return nil }
        return g.config.dlatentSize
    }

    /// Synthesis from dlatents for the images whose noise is seeded by `noiseSeeds`.
    public func synthesize(dlatents: [Float], noiseSeeds: [UInt32], options: RenderOptions) throws -> [Tensor] {
        guard case .styleGAN(let g) = model.backend else {
            throw GenError.wrongFamily(model.name, expected: .msgStyleGAN)
        }
        return synthesize(g, dlatents: dlatents, noiseSeeds: noiseSeeds, options: options)
    }

    private func synthesize(_ g: StyleGANGenerator, dlatents: [Float], noiseSeeds: [UInt32], options: RenderOptions) -> [Tensor] {
        precondition(noiseSeeds.count <= batch)
        let ws = styleGANWorkspace ?? g.makeWorkspace(batch: batch, threads: threads)
        ws.profile = profile
        styleGANWorkspace = ws
        let noise: StyleGANGenerator.Noise
        switch options.noise {
        case .const: noise = .stored
        case .none: noise = .none
        case .random: noise = .perImage(noiseSeeds.map { StyleNoise.draw(noiseSeed: options.noiseSeed, seed: $0, resolutions: g.layers.map(\.resolution)) })
        }
        return g.synthesis(dlatents: dlatents, count: noiseSeeds.count, noise: noise, workspace: ws)
    }
}
