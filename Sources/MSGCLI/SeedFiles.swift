import Foundation
import MSGGen
import MSGImage
import MSGRender
import MSGTensor

/// One file (or one per scale) per seed in a directory: what bulk renders
/// write, so sets of tens of thousands of images can be split (`--shard`)
/// and resumed (`--skip-existing`).
///
/// - png: `DIR/seedS.png`, exactly the bytes `msg-gen --seed S --out F.png`
///   writes with the same options (one image, or that seed's multi-scale
///   sheet with `--scales all`), like upstream's per-seed generators;
/// - npy: `DIR/seedS-RxR.npy` per selected resolution R, float32 `[3, R, R]`.
///
/// Every file goes through `AtomicFile` (a temporary name, then rename), so a
/// file under its final name is never half-written by msg-gen. `isComplete`
/// still distrusts what it finds (a copy cut short, a disk that filled, a file
/// from another model): a file counts only if it decodes fully and matches
/// what this render would write.
public struct SeedFiles {
    public let directory: String
    public let format: OutputFormat
    public let model: Model
    public let options: RenderOptions
    public let scales: ScaleSelection
    /// Indices into `model.resolutions` of the selected scales.
    public let scaleIndices: [Int]

    public init(directory: String, format: OutputFormat, model: Model, options: RenderOptions,
                scales: ScaleSelection) throws {
        self.directory = directory
        self.format = format
        self.model = model
        self.options = options
        self.scales = scales
        self.scaleIndices = try scales.indices(in: model)
    }

    /// Whether `--out` asks for per-seed files: always for npy; for png when
    /// it names a directory (ends in "/" or exists as one).
    public static func isDirectoryOutput(format: OutputFormat, out: String?) -> Bool {
        if format == .npy { return true }
        guard let out else { return false }
        var isDirectory: ObjCBool = false
        return out.hasSuffix("/") || (FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    /// The files seed `seed` produces (npy: one per selected scale, in `scaleIndices` order).
    public func paths(seed: UInt32) -> [String] {
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        switch format {
        case .png:
            return ["\(dir)/seed\(seed).png"]
        case .npy:
            return scaleIndices.map { s in
                let r = model.resolutions[s]
                return "\(dir)/seed\(seed)-\(r)x\(r).npy"
            }
        }
    }

    /// Writes seed `seed`'s files from its generator output (`scales[s]`: `[3, R, R]`, 4x4 first).
    public func write(seed: UInt32, outputs: [Tensor]) throws {
        switch format {
        case .png:
            let png = try Pictures.seedsPNG(model: model, seeds: [seed], options: options, scales: scales, outputs: [outputs])
            try Output.writePNGBytes(png, to: paths(seed: seed)[0])
        case .npy:
            for (s, path) in zip(scaleIndices, paths(seed: seed)) {
                try Output.writeNPY(outputs[s], to: path)
            }
        }
    }

    /// True when every file of `seed` exists and is whole: a PNG that libpng
    /// decodes to the end (chunk CRCs, the zlib stream and IEND checked) and
    /// whose text chunks are the ones this render writes (same model, seed,
    /// scales, truncation, noise); an npy whose header is float32 `[3, R, R]`
    /// and whose length is exactly that. Anything else is rendered again.
    public func isComplete(seed: UInt32) -> Bool {
        let paths = paths(seed: seed)
        switch format {
        case .png:
            guard let bytes = Self.contents(paths[0]), let (_, text) = try? PNG.decode(bytes) else { return false }
            let expected = ImageMetadata(model: model, seeds: [seed], options: options, scales: scales).pngText
            return expected.count == text.count && expected.allSatisfy { text[$0.key] == $0.value }
        case .npy:
            return zip(scaleIndices, paths).allSatisfy { s, path in
                let r = model.resolutions[s]
                guard let bytes = Self.contents(path), let t = try? NPY.decode(bytes) else { return false }
                return t.shape == [3, r, r]
            }
        }
    }

    private static func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}

// MARK: - render into per-seed files

extension RenderCommand {
    /// `render` with one file per seed: the seed list (up to
    /// `SeedList.maxFileCount`), its `--shard` part, minus the seeds whose
    /// files are complete under `--skip-existing`, rendered and written seed
    /// by seed as each batch finishes (memory does not grow with the list).
    func renderFiles() throws {
        let shard = try bulk.parsedShard()
        let all = try seeds.map { try SeedList.parse($0, limit: SeedList.maxFileCount) }
            ?? SeedList.range(start: seed, count: grid, limit: SeedList.maxFileCount)
        var seen = Set<UInt32>()
        let part = shard.part(of: all).filter { seen.insert($0).inserted }   // a repeated seed is one file

        let model = try model.load()
        let dir = output.out ?? "."
        let files = try SeedFiles(directory: dir, format: output.format, model: model,
                                  options: try style.renderOptions(for: model), scales: output.scales)
        if output.format == .png {
            try Output.checkPixelBudget(model: model, count: 1, scales: files.scaleIndices)
        }
        try Output.makeDirectory(dir)
        let todo = bulk.skipExisting ? part.filter { !files.isComplete(seed: $0) } : part
        if bulk.skipExisting && !output.quiet {
            FileHandle.standardError.write(Data("msg-gen: \(shard.count > 1 ? "shard \(shard): " : "")\(part.count) seeds, \(part.count - todo.count) already complete, rendering \(todo.count)\n".utf8))
        }

        let renderer = Renderer(model: model, batch: compute.batch, threads: compute.threads)
        let progress = Progress(total: todo.count, quiet: output.quiet)
        defer { progress.finish() }
        try renderer.render(seeds: todo, options: files.options) { i, outputs in
            try files.write(seed: todo[i], outputs: outputs)
            progress.update(done: i + 1)
        }
        print(dir)
    }
}
