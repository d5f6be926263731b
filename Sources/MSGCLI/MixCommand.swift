import ArgumentParser
import Foundation
import MSGGen
import MSGImage
import MSGRender
import MSGTensor

/// `msg-gen mix`: the style-mixing figure (MSG-StyleGAN models).
public struct MixCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mix",
        abstract: "Style mixing: each cell takes the row seed's w with the chosen layers from the column seed's w.",
        discussion: """
        The figure shows the column seeds across the top, the row seeds down the left and the mixes in the cells. \
        --scales all stacks the figure at every resolution into one tall sheet, each scaled up by pixel repetition to \
        the largest (style mixing across resolutions). npy: --out DIR receives DIR/rowR-colC-XxX.npy, float32 [3, X, X]. \
        Truncation applies only with --psi; noise is const unless --noise says otherwise (random noise is drawn for the row seed).
        """
    )

    /// Upstream's figure (StyleGAN generate_figures.py): its seeds, and per row the layers swapped in.
    static let figureRows: [UInt32] = [888, 829, 1898, 1733, 1614, 845]
    static let figureCols: [UInt32] = [639, 701, 687, 615, 2268]
    static let figureStyles = ["coarse", "coarse", "coarse", "middle", "middle", "fine"]

    public enum Preset: String, ExpressibleByArgument, Sendable { case figure }

    @Option(name: .long, parsing: .unconditional, help: "Row seeds, e.g. 85,100,75 (their w is kept).")
    public var rows: String?

    @Option(name: .long, parsing: .unconditional, help: "Column seeds, e.g. 55,821,1789 (their w gives the swapped layers).")
    public var cols: String?

    @Option(name: .long, help: "Layers taken from the column: coarse (0-3), middle (4-7), fine (8-last), or a list like 0-3 or 4,5,6.")
    public var styles: String?

    @Option(name: .long, help: "figure: upstream's layout (rows 0-2 coarse, 3-4 middle, 5 fine) and, unless given, its seeds.")
    public var preset: Preset?

    @OptionGroup public var model: ModelOptions
    @OptionGroup(title: "MSG-StyleGAN") public var style: StyleOptions
    @OptionGroup public var compute: ComputeOptions
    @OptionGroup public var output: OutputOptions

    public init() {}

    public mutating func validate() throws {
        if preset == nil && (rows == nil || cols == nil || styles == nil) {
            throw ValidationError("mix needs --rows, --cols and --styles, or --preset figure")
        }
        if preset != nil && styles != nil { throw ValidationError("--styles and --preset figure exclude each other") }
    }

    public func run() throws {
        let model = try model.load()
        var opts = try style.renderOptions(for: model)
        guard model.family == .msgStyleGAN else {
            throw GenError.styleRange(model.name, "style mixing needs an msg-stylegan model; this one is msg-progan (it has no w)")
        }
        let rowSeeds = try rows.map { try SeedList.parse($0, option: "--rows") } ?? Self.figureRows
        let colSeeds = try cols.map { try SeedList.parse($0, option: "--cols") } ?? Self.figureCols
        guard rowSeeds.count * colSeeds.count <= SeedList.maxCount else {
            throw CLIError.badSeeds("\(rowSeeds.count) rows x \(colSeeds.count) columns is over \(SeedList.maxCount) cells")
        }
        let layersPerRow: [[Int]]
        if preset == .figure {
            let n = model.styleLayerCount ?? 0
            layersPerRow = rowSeeds.indices.map { i in
                let name = Self.figureStyles[min(i, Self.figureStyles.count - 1)]
                // Below 1024 px the named ranges shrink to the model's layers
                // (upstream's script indexes past them and crashes).
                let range = name == "coarse" ? 0...3 : name == "middle" ? 4...7 : 8...max(8, n - 1)
                return range.filter { $0 < n }
            }
            for (i, l) in layersPerRow.enumerated() where l.isEmpty {
                FileHandle.standardError.write(Data("note: row \(i) (\(Self.figureStyles[min(i, 5)])) swaps no layers: \(model.name) has \(n) style layers\n".utf8))
            }
        } else {
            let l = try model.styleLayers(styles!)
            layersPerRow = rowSeeds.map { _ in l }
        }
        opts = Pictures.mixOptions(opts)   // upstream's figure maps without truncation
        let scaleIdx = try output.scales.indices(in: model)
        let renderer = Renderer(model: model, batch: compute.batch, threads: compute.threads)
        let total = rowSeeds.count * colSeeds.count
        let progress = Progress(total: total, quiet: output.quiet)
        defer { progress.finish() }
        var done = 0

        switch output.format {
        case .npy:
            let dir = output.out ?? "."
            try Output.makeDirectory(dir)
            try renderer.mix(rows: rowSeeds, cols: colSeeds, layersPerRow: layersPerRow, options: opts) { r, c, scales in
                for s in scaleIdx {
                    let x = model.resolutions[s]
                    try Output.writeNPY(scales[s], to: "\(dir)/row\(rowSeeds[r])-col\(colSeeds[c])-\(x)x\(x).npy")
                }
                done += 1; progress.update(done: done)
            }
            print(dir)
        case .png:
            try Output.checkPixelBudget(model: model, count: (rowSeeds.count + 1) * (colSeeds.count + 1), scales: scaleIdx)
            let desc = preset == .figure ? "figure preset" : styles!
            let path = output.out ?? "\(model.name)-mix-rows\(rowSeeds.count)-cols\(colSeeds.count)\(scaleIdx.count > 1 ? "-all" : "").png"
            // Images go into the 8-bit figure as they are rendered (Pictures.MixPicture), the PNG to the file as it is encoded.
            try Output.streamPNG(to: path) { sink in
                let picture = try Pictures.MixPicture(model: model, rows: rowSeeds, cols: colSeeds, styles: desc, options: opts,
                                                      scales: output.scales, sink: sink)
                try renderer.render(seeds: rowSeeds, options: opts) { r, s in try picture.addRow(r, s) }
                try renderer.render(seeds: colSeeds, options: opts) { _, s in try picture.addColumn(s) }
                try renderer.mix(rows: rowSeeds, cols: colSeeds, layersPerRow: layersPerRow, options: opts) { r, c, scales in
                    try picture.addCell(row: r, col: c, scales)
                    done += 1; progress.update(done: done)
                }
                try picture.finish()
            }
            print(path)
        }
    }
}
