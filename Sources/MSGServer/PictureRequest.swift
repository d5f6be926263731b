import MSGGen
import MSGImage
import MSGRender
import NIOPosix

/// A validated request for a picture: what to render, how to compose it, and
/// the key naming its bytes (cache key; its hash is the ETag).
struct PictureRequest: Sendable {
    enum Kind: Sendable {
        case seeds([UInt32])
        case mix(rows: [UInt32], cols: [UInt32], styles: String, layers: [Int])
    }

    let served: ServedModel
    let kind: Kind
    let scales: ScaleSelection
    let scaleIndices: [Int]
    let options: RenderOptions
    let key: String
    /// RGB pixels of the picture before padding (what `ServerLimits.maxPixels` bounds).
    let pixels: Int

    /// Strong ETag: same key, same bytes (output is deterministic).
    var etag: String {
        var h = FNV1a()
        h.add(key)
        return "\"\(h.hex)\""
    }

    var imageCount: Int {
        switch kind {
        case .seeds(let s): s.count
        case let .mix(rows, cols, _, _): rows.count + cols.count + rows.count * cols.count
        }
    }

    // MARK: - Parsing

    static let styleParameters = ["psi", "cutoff", "noise", "noise_seed"]

    /// `GET /v1/image?seed=&model=&scale=R|max&psi=&cutoff=&noise=&noise_seed=`
    static func image(_ q: Query, models: ModelRegistry, limits: ServerLimits) throws(ServerError) -> PictureRequest {
        let served = try models.resolve(q.string("model"))
        guard let seed = try q.seed("seed") else { throw .badParameter("seed", "required (an integer 0 ... 4294967295)") }
        let (sel, idx) = try scale(q, served.model, allowAll: false)
        return try seeds([seed], served: served, sel: sel, idx: idx, options: options(q, served.model), limits: limits, countName: "seed")
    }

    /// `GET /v1/grid?seed=&count=&scale=max|all|R&...`: seeds seed ... seed+count-1.
    static func grid(_ q: Query, models: ModelRegistry, limits: ServerLimits) throws(ServerError) -> PictureRequest {
        let served = try models.resolve(q.string("model"))
        guard let seed = try q.seed("seed") else { throw .badParameter("seed", "required (an integer 0 ... 4294967295)") }
        let count = try q.int("count", in: 1...limits.maxCount) ?? 16
        guard UInt64(seed) + UInt64(count) - 1 <= UInt64(UInt32.max) else {
            throw .badParameter("count", "seeds \(seed) ... \(UInt64(seed) + UInt64(count) - 1) run past 4294967295")
        }
        let (sel, idx) = try scale(q, served.model, allowAll: true)
        let list = (0..<UInt32(count)).map { seed + $0 }
        return try seeds(list, served: served, sel: sel, idx: idx, options: options(q, served.model), limits: limits, countName: "count")
    }

    private static func seeds(_ list: [UInt32], served: ServedModel, sel: ScaleSelection, idx: [Int], options: RenderOptions,
                              limits: ServerLimits, countName: String) throws(ServerError) -> PictureRequest {
        let pixels = Pictures.pixelCount(model: served.model, count: list.count, scaleIndices: idx)
        guard pixels <= limits.maxPixels else {
            throw .badParameter(countName, "\(list.count) seeds at scale \(sel.describe(in: served.model)) make \(pixels) pixels (limit \(limits.maxPixels)); ask for fewer seeds or a smaller scale")
        }
        let key = "v1|\(served.fingerprint)|seeds=\(list[0])+\(list.count)|scale=\(sel.describe(in: served.model))|all=\(idx.count > 1)|\(optionsKey(options))"
        return PictureRequest(served: served, kind: .seeds(list), scales: sel, scaleIndices: idx, options: options, key: key,
                              pixels: pixels)
    }

    /// `GET /v1/mix?rows=&cols=&styles=&scale=max|all|R&psi=&...` (msg-stylegan models).
    static func mix(_ q: Query, models: ModelRegistry, limits: ServerLimits) throws(ServerError) -> PictureRequest {
        let served = try models.resolve(q.string("model"))
        let model = served.model
        guard model.family == .msgStyleGAN else {
            throw .badParameter("model", "style mixing needs an msg-stylegan model; \(model.name) is \(model.family.rawValue) (it has no w)")
        }
        let rows = try q.seedList("rows", limit: limits.maxRowsOrCols, maxLength: limits.maxListLength)
        let cols = try q.seedList("cols", limit: limits.maxRowsOrCols, maxLength: limits.maxListLength)
        guard rows.count * cols.count <= limits.maxCells else {
            throw .badParameter("cols", "\(rows.count) rows x \(cols.count) columns is over \(limits.maxCells) cells")
        }
        let styles = try q.required("styles")
        guard styles.utf8.count <= limits.maxListLength else { throw .badParameter("styles", "longer than \(limits.maxListLength) characters") }
        let layers: [Int]
        do { layers = try model.styleLayers(styles) } catch {
            throw .badParameter("styles", "\(error)")
        }
        let (sel, idx) = try scale(q, model, allowAll: true)
        let pixels = Pictures.pixelCount(model: model, count: (rows.count + 1) * (cols.count + 1), scaleIndices: idx)
        guard pixels <= limits.maxPixels else {
            throw .badParameter("scale", "the figure would hold \(pixels) pixels (limit \(limits.maxPixels)); ask for fewer rows, columns or scales")
        }
        let opts = Pictures.mixOptions(try options(q, model))
        let key = "v1|\(served.fingerprint)|mix|rows=\(rows.map(String.init).joined(separator: ","))|cols=\(cols.map(String.init).joined(separator: ","))|styles=\(styles)|scale=\(sel.describe(in: model))|all=\(idx.count > 1)|\(optionsKey(opts))"
        return PictureRequest(served: served, kind: .mix(rows: rows, cols: cols, styles: styles, layers: layers),
                              scales: sel, scaleIndices: idx, options: opts, key: key, pixels: pixels)
    }

    static func scale(_ q: Query, _ model: Model, allowAll: Bool) throws(ServerError) -> (ScaleSelection, [Int]) {
        let text = q.string("scale") ?? "max"
        let choices = (allowAll ? "max, all" : "max") + " or a resolution of \(model.name) (\(model.resolutions.map(String.init).joined(separator: ", ")))"
        guard let sel = ScaleSelection(text: text), allowAll || sel != .all else {
            throw .badParameter("scale", "'\(Query.clip(text))' is not \(choices)")
        }
        guard let idx = try? sel.indices(in: model) else {
            throw .badParameter("scale", "\(text) is not an output of \(model.name); choose \(choices)")
        }
        return (sel, idx)
    }

    /// psi, cutoff, noise, noise_seed: msg-stylegan only, as on the command line.
    static func options(_ q: Query, _ model: Model) throws(ServerError) -> RenderOptions {
        if model.family != .msgStyleGAN, let p = styleParameters.first(where: { q.string($0) != nil }) {
            throw .badParameter(p, "applies to msg-stylegan models; \(model.name) is \(model.family.rawValue)")
        }
        let psi = try q.double("psi", in: -100...100)
        let cutoff = try q.int("cutoff", in: 0...1024)
        var noise = NoiseMode.const
        if let n = q.string("noise") {
            guard let m = NoiseMode(rawValue: n) else { throw .badParameter("noise", "'\(Query.clip(n))' is not const, random or none") }
            noise = m
        }
        let noiseSeed = try q.seed("noise_seed")
        if noiseSeed != nil && noise != .random { throw .badParameter("noise_seed", "needs noise=random") }
        return RenderOptions(psi: psi, cutoff: cutoff, noise: noise, noiseSeed: noiseSeed ?? 0)
    }

    static func optionsKey(_ o: RenderOptions) -> String {
        "psi=\(o.psi.map { "\($0)" } ?? "-")|cutoff=\(o.cutoff.map(String.init) ?? "-")|noise=\(o.noise.rawValue)|ns=\(o.noiseSeed)"
    }

    // MARK: - Rendering

    /// Renders through the model's batching pool and encodes with the same
    /// functions the CLI uses (MSGRender): in this task up to
    /// `inlinePixels` pixels, else on NIO's blocking-work thread pool.
    func png(inlinePixels: Int) async throws -> [UInt8] {
        let model = served.model, options = options, scales = scales, pixels = pixels
        switch kind {
        case .seeds(let seeds):
            return try await served.pool.withImages(seeds.map { .seed($0) }, options: options) { outs in
                try await Self.encode(pixels: pixels, inline: inlinePixels) {
                    try Pictures.seedsPNG(model: model, seeds: seeds, options: options, scales: scales, outputs: outs)
                }
            }
        case let .mix(rows, cols, styles, layers):
            var jobs: [RenderPool.Job] = rows.map { .seed($0) } + cols.map { .seed($0) }
            for r in rows { for c in cols { jobs.append(.cell(row: r, col: c, layers: layers)) } }
            return try await served.pool.withImages(jobs, options: options) { outs in
                let base = rows.count + cols.count
                return try await Self.encode(pixels: pixels, inline: inlinePixels) {
                    try Pictures.mixPNG(model: model, rows: rows, cols: cols, styles: styles, options: options, scales: scales,
                                        rowOutputs: Array(outs[0..<rows.count]), colOutputs: Array(outs[rows.count..<base]),
                                        cellOutputs: rows.indices.map { r in cols.indices.map { c in outs[base + r * cols.count + c] } })
                }
            }
        }
    }

    /// Runs `body` here when the picture is small, else on `NIOThreadPool.singleton`
    /// (one thread per core; blocking work off the event loops).
    static func encode(pixels: Int, inline: Int, _ body: @escaping @Sendable () throws -> [UInt8]) async throws -> [UInt8] {
        if pixels <= inline { return try body() }
        return try await NIOThreadPool.singleton.runIfActive(body)
    }
}

/// The served models by name; the first is the default.
public struct ModelRegistry: Sendable {
    public let models: [ServedModel]

    public init(_ models: [ServedModel]) { self.models = models }

    func resolve(_ name: String?) throws(ServerError) -> ServedModel {
        guard let first = models.first else { throw .notReady("no models loaded") }
        guard let name else { return first }
        guard let m = models.first(where: { $0.name == name }) else {
            throw .unknownModel(Query.clip(name), available: models.map(\.name))
        }
        return m
    }
}
