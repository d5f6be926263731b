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
    /// The arithmetic its convolutions were built for.
    public let precision: Precision

    enum Backend {
        case proGAN(ProGANGenerator)
        case styleGAN(StyleGANGenerator)
    }

    /// `strategy` picks how conv layers compute (`.auto` unless comparing paths).
    /// `precision` is their arithmetic (`Precision`).
    /// - Throws: `PrecisionError` for `.bf16` on a CPU without AVX512-BF16;
    ///   the generators' errors for a model they cannot run.
    public init(file: ModelFile, strategy: ConvLayer.Strategy = .auto, precision: Precision = .fp32) throws {
        try precision.require()
        self.file = file
        self.precision = precision
        switch file.config {
        case .proGAN: backend = .proGAN(try ProGANGenerator(model: file, strategy: strategy, precision: precision))
        case .styleGAN: backend = .styleGAN(try StyleGANGenerator(model: file, strategy: strategy, precision: precision))
        }
        // The engine holds its own folded copy now; the file's pages need not stay resident.
        file.file.releaseResidentPages()
    }

    /// - Throws: `PrecisionError` (checked before the file is read), `WeightsError`, `GenError`.
    public static func load(path: String, precision: Precision = .fp32) throws -> Model {
        try precision.require()
        return try Model(file: ModelFile.open(path: path), precision: precision)
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
///
/// Memory follows the work: buffers are planned for the largest pass seen so
/// far (`batch` is an upper bound, never a minimum: one seed plans for one
/// image), the high-resolution layers run image by image through one image's
/// buffers whatever the pass, and `releaseBuffers()` gives back what a rare
/// large pass took (the server calls it after an idle period).
public final class Renderer {
    public let model: Model
    /// Most images in one forward pass.
    public let batch: Int
    public let threads: Int
    /// Per-image activation size (floats) from which a pass runs image by image
    /// (`WorkspacePlan.defaultPerImageFloats`; tests lower it to run that
    /// schedule on small models: it never changes bits).
    public let perImageFloats: Int
    private var proGANWorkspace: ProGANGenerator.Workspace?
    private var styleGANWorkspace: StyleGANGenerator.Workspace?

    /// Attach to time every layer (bench --profile).
    public var profile: LayerProfile? {
        didSet { proGANWorkspace?.profile = profile; styleGANWorkspace?.profile = profile }
    }

    public init(model: Model, batch: Int = 8, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                perImageFloats: Int = WorkspacePlan.defaultPerImageFloats) {
        self.model = model
        self.batch = max(1, batch)
        self.threads = max(1, threads)
        self.perImageFloats = max(1, perImageFloats)
        // The engine runs its own workers; OpenBLAS (the to-RGB projections inside
        // them, the mapping network) stays on the calling thread (BLAS.setThreads).
        BLAS.setThreads(1)
    }

    /// The buffers a pass of `images` images plans (what `forward` allocates
    /// for it when no larger pass came before).
    public func plan(images: Int) -> WorkspacePlan {
        switch model.backend {
        case .proGAN(let g): g.plan(images: images, threads: threads, perImageFloats: perImageFloats)
        case .styleGAN(let g): g.plan(images: images, threads: threads, perImageFloats: perImageFloats)
        }
    }

    /// The plan of the buffers held now (nil: none; the next pass plans them).
    public var heldPlan: WorkspacePlan? { proGANWorkspace?.plan ?? styleGANWorkspace?.plan }

    /// Frees the workspace and the kept output tensors, and asks malloc to hand
    /// freed memory back to the system; the next pass plans for its own size.
    /// Images never depend on it. Returns the bytes of workspace given back.
    @discardableResult
    public func releaseBuffers() -> Int {
        let bytes = heldPlan?.bytes ?? 0
        proGANWorkspace = nil
        styleGANWorkspace = nil
        Self.trimHeap()
        return bytes
    }

    /// glibc's `malloc_trim(0)`: returns free heap pages (every arena) to the
    /// system. Looked up at run time (Swift's Glibc module does not declare it);
    /// a no-op on other C libraries.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(f, to: (@convention(c) (Int) -> Int32).self)
    }()

    static func trimHeap() { _ = mallocTrim?(0) }

    func proGANWorkspace(_ g: ProGANGenerator, images n: Int) -> ProGANGenerator.Workspace {
        if let ws = proGANWorkspace, ws.batch >= n { ws.profile = profile; return ws }
        proGANWorkspace = nil   // free the smaller one before planning the larger
        let ws = g.makeWorkspace(batch: n, threads: threads, perImageFloats: perImageFloats)
        ws.profile = profile
        proGANWorkspace = ws
        return ws
    }

    private func styleGANWorkspace(_ g: StyleGANGenerator, images n: Int) -> StyleGANGenerator.Workspace {
        if let ws = styleGANWorkspace, ws.batch >= n { ws.profile = profile; return ws }
        styleGANWorkspace = nil
        let ws = g.makeWorkspace(batch: n, threads: threads, perImageFloats: perImageFloats)
        ws.profile = profile
        styleGANWorkspace = ws
        return ws
    }

    /// Renders `seeds` in order, `batch` at a time, calling `onImage(index,
    /// scales)` for each as soon as it is finished; scales are `[3, R, R]`,
    /// 4x4 first. Each image depends only on its seed and the options, never on
    /// its batch-mates (a grid cell equals the single-seed render bit for bit).
    /// The full-resolution scales of a pass are not all held at once: handle
    /// (or copy) them in `onImage`; tensors kept past it stay intact but cost a copy.
    public func render(seeds: [UInt32], options: RenderOptions = RenderOptions(),
                       onImage: (_ index: Int, _ scales: [Tensor]) throws -> Void) throws {
        var start = 0
        while start < seeds.count {
            let chunk = Array(seeds[start..<min(seeds.count, start + batch)])
            let base = start
            switch model.backend {
            case .proGAN(let g):
                let ws = proGANWorkspace(g, images: chunk.count)
                try g.forward(latents: chunk.flatMap { model.latent(seed: $0) }, count: chunk.count, workspace: ws) { j, scales in
                    try onImage(base + j, scales)
                }
            case .styleGAN(let g):
                let dl = styleDlatents(g, seeds: chunk, options: options)
                try synthesize(g, dlatents: dl, noiseSeeds: chunk, options: options) { j, scales in
                    try onImage(base + j, scales)
                }
            }
            start += chunk.count
        }
    }

    /// One forward pass of up to `batch` seeds: a `[n, 3, R, R]` tensor per scale.
    public func forward(seeds: [UInt32], options: RenderOptions = RenderOptions()) throws -> [Tensor] {
        precondition(seeds.count <= batch)
        switch model.backend {
        case .proGAN(let g):
            let ws = proGANWorkspace(g, images: seeds.count)
            let z = seeds.flatMap { model.latent(seed: $0) }
            return g.forward(latents: z, count: seeds.count, workspace: ws)
        case .styleGAN(let g):
            return synthesize(g, dlatents: styleDlatents(g, seeds: seeds, options: options), noiseSeeds: seeds, options: options)
        }
    }

    private func styleDlatents(_ g: StyleGANGenerator, seeds: [UInt32], options: RenderOptions) -> [Float] {
        let t = g.truncation(psi: options.psi, cutoff: options.cutoff)
        let w = g.mapping(latents: seeds.flatMap { model.latent(seed: $0) }, count: seeds.count)
        return g.dlatents(w: w, count: seeds.count, psi: t.psi, cutoff: t.cutoff)
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
            try synthesize(g, dlatents: dl, noiseSeeds: chunk.map { rows[$0.0] }, options: opts) { j, scales in
                try onCell(chunk[j].0, chunk[j].1, scales)
            }
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

    private func noise(_ g: StyleGANGenerator, noiseSeeds: [UInt32], options: RenderOptions) -> StyleGANGenerator.Noise {
        switch options.noise {
        case .const: .stored
        case .none: .none
        case .random: .perImage(noiseSeeds.map { StyleNoise.draw(noiseSeed: options.noiseSeed, seed: $0, resolutions: g.layers.map(\.resolution)) })
        }
    }

    private func synthesize(_ g: StyleGANGenerator, dlatents: [Float], noiseSeeds: [UInt32], options: RenderOptions) -> [Tensor] {
        precondition(noiseSeeds.count <= batch)
        let ws = styleGANWorkspace(g, images: noiseSeeds.count)
        return g.synthesis(dlatents: dlatents, count: noiseSeeds.count, noise: noise(g, noiseSeeds: noiseSeeds, options: options),
                           workspace: ws)
    }

    private func synthesize(_ g: StyleGANGenerator, dlatents: [Float], noiseSeeds: [UInt32], options: RenderOptions,
                            onImage: (_ index: Int, _ scales: [Tensor]) throws -> Void) rethrows {
        precondition(noiseSeeds.count <= batch)
        let ws = styleGANWorkspace(g, images: noiseSeeds.count)
        try g.synthesis(dlatents: dlatents, count: noiseSeeds.count, noise: noise(g, noiseSeeds: noiseSeeds, options: options),
                        workspace: ws, onImage: onImage)
    }
}
