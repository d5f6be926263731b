import MSGGen
import MSGImage

extension Pictures {
    /// The picture (image, grid or sheet) of `count` vectors from a latents
    /// file, laid out as `SeedsPicture` lays out seeds, with a `Latents` text
    /// chunk naming the file instead of `Seeds`. Feed it with `add` in order.
    public static func latentsPicture(model: Model, file: String, count: Int, options: RenderOptions,
                                      scales: ScaleSelection, sink: (any ByteSink)? = nil) throws -> SeedsPicture {
        var meta = ImageMetadata(model: model, seeds: [], options: options, scales: scales,
                                 extra: [("Latents", "\(file), \(count) vectors")])
        meta.pngText.removeAll { $0.key == "Seeds" }
        return try SeedsPicture(model: model, count: count, scales: scales, metadata: meta, sink: sink)
    }
}
