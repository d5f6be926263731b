import ArgumentParser
import Foundation
import MSGGen
import MSGImage
import MSGRender
import MSGTensor

/// The default subcommand: seeds -> PNG grid / image / multi-scale sheet, or raw .npy.
public struct RenderCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render seeds (the default subcommand).",
        discussion: """
        PNG: one seed gives one image, several give a grid (near-square, one seed per cell); \
        --scales all gives the multi-scale sheet (every scale of each seed, side by side). \
        npy: --out DIR receives DIR/seedS-RxR.npy, float32 [3, R, R], the raw generator output. \
        png with --out DIR/ (a directory): one DIR/seedS.png per seed. Per-seed files allow up to 1048576 seeds, \
        --shard K/N (part K of N, 0-based) and --skip-existing (resume).
        """
    )

    @Option(name: .long, parsing: .unconditional, help: "First seed (0 ... 4294967295).",
            transform: { try SeedList.seed(option: "--seed", $0) })
    public var seed: UInt32 = 0

    @Option(name: .long, parsing: .unconditional,
            help: "Number of seeds from --seed on, one per grid cell (1 ... 1024; up to 1048576 into per-seed files).")
    public var grid: Int = 1

    @Option(name: .long, parsing: .unconditional, help: "Explicit seeds, e.g. 1,5,10-19 (overrides --seed/--grid).")
    public var seeds: String?

    @OptionGroup public var model: ModelOptions
    @OptionGroup(title: "MSG-StyleGAN") public var style: StyleOptions
    @OptionGroup public var compute: ComputeOptions
    @OptionGroup public var output: OutputOptions
    @OptionGroup(title: "Bulk renders (one file per seed)") public var bulk: BulkOptions
    @OptionGroup(title: "Latents") public var latentsOptions: LatentsOptions

    public init() {}

    public func run() throws {
        if latentsOptions.isGiven {
            guard !bulk.isRequested else {
                throw CLIError.badShard("--shard and --skip-existing take seeds, not --latents / --dlatents")
            }
            return try runLatents(model: model.load()) { try seeds.map { try SeedList.parse($0) } ?? SeedList.range(start: seed, count: grid) }
        }
        if SeedFiles.isDirectoryOutput(format: output.format, out: output.out) {
            return try renderFiles()
        }
        guard !bulk.isRequested else {
            throw CLIError.badShard("--shard and --skip-existing need one file per seed: --format npy, or --format png with --out DIR/")
        }
        let list = try seeds.map { try SeedList.parse($0) } ?? SeedList.range(start: seed, count: grid)
        let model = try model.load()
        let scaleIdx = try output.scales.indices(in: model)
        let renderer = Renderer(model: model, batch: compute.batch, threads: compute.threads)
        let progress = Progress(total: list.count, quiet: output.quiet)
        defer { progress.finish() }
        let options = try style.renderOptions(for: model)

        try Output.checkPixelBudget(model: model, count: list.count, scales: scaleIdx)
        let path = output.out ?? Output.defaultName(model: model, seeds: list, scales: output.scales)
        // Each image goes into the 8-bit picture as soon as it is rendered, and the PNG to the file as it is encoded.
        try Output.streamPNG(to: path) { sink in
            let picture = try Pictures.SeedsPicture(model: model, seeds: list, options: options, scales: output.scales, sink: sink)
            try renderer.render(seeds: list, options: options) { i, scales in
                try picture.add(scales)
                progress.update(done: i + 1)
            }
            try picture.finish()
        }
        print(path)
    }
}
