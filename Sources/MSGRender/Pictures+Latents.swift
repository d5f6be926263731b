import MSGGen
import MSGImage

extension Pictures {
    /// The PNG (image, grid or sheet) of vectors from a latents file: as
    /// `seedsPNG`, with a `Latents` text chunk naming the file instead of seeds.
    public static func latentsPNG(model: Model, file: String, options: RenderOptions, scales: ScaleSelection,
                                  images: [[RGBImage]]) throws -> [UInt8] {
        let picture = compose(images, allScales: images.first.map { $0.count > 1 } ?? false)
        var meta = ImageMetadata(model: model, seeds: [], options: options, scales: scales,
                                 extra: [("Latents", "\(file), \(images.count) vectors")])
        meta.pngText.removeAll { $0.key == "Seeds" }
        return try PNG.encode(picture, text: meta.pngText)
    }
}
