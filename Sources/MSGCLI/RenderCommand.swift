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
        npy: --out DIR receives DIR/seedS-RxR.npy, float32 [3, R, R], the raw generator output.
        """
    )

    @Option(name: .long, help: "First seed (0 ... 4294967295).")
    public var seed: UInt32 = 0

    @Option(name: .long, help: "Number of seeds from --seed on, one per grid cell (1 ... 1024).")
    public var grid: Int = 1

    @Option(name: .long, help: "Explicit seeds, e.g. 1,5,10-19 (overrides --seed/--grid).")
    public var seeds: String?

    @OptionGroup public var model: ModelOptions
    @OptionGroup(title: "MSG-StyleGAN") public var style: StyleOptions
    @OptionGroup public var compute: ComputeOptions
    @OptionGroup public var output: OutputOptions
    @OptionGroup(title: "Latents") public var latentsOptions: LatentsOptions

    public init() {}

    public func run() throws {
        if latentsOptions.isGiven {
            return try runLatents(model: model.load()) { try seeds.map { try SeedList.parse($0) } ?? SeedList.range(start: seed, count: grid) }
        }
        let list = try seeds.map { try SeedList.parse($0) } ?? SeedList.range(start: seed, count: grid)
        let model = try model.load()
        let scaleIdx = try output.scales.indices(in: model)
        let renderer = Renderer(model: model, batch: compute.batch, threads: compute.threads)
        let progress = Progress(total: list.count, quiet: output.quiet)
        defer { progress.finish() }
        let options = try style.renderOptions(for: model)

        switch output.format {
        case .npy:
            let dir = output.out ?? "."
            try Output.makeDirectory(dir)
            try renderer.render(seeds: list, options: options) { i, scales in
                for s in scaleIdx {
                    let r = model.resolutions[s]
                    try Output.writeNPY(scales[s], to: "\(dir)/seed\(list[i])-\(r)x\(r).npy")
                }
                progress.update(done: i + 1)
            }
            print(dir)
        case .png:
            try Output.checkPixelBudget(model: model, count: list.count, scales: scaleIdx)
            var images = [[RGBImage]](repeating: [], count: list.count)
            try renderer.render(seeds: list, options: options) { i, scales in
                images[i] = try Pictures.images(scales, indices: scaleIdx)
                progress.update(done: i + 1)
            }
            let png = try Pictures.seedsPNG(model: model, seeds: list, options: options, scales: output.scales, images: images)
            let path = output.out ?? Output.defaultName(model: model, seeds: list, scales: output.scales)
            try Output.writePNGBytes(png, to: path)
            print(path)
        }
    }
}
