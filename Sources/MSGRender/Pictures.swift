import MSGGen
import MSGImage
import MSGTensor

/// The pictures msg-gen delivers, composed and encoded in one place so that the
/// CLI and the server give the same bytes for the same request: one image, a
/// grid, a multi-scale sheet, or the style-mixing figure, as PNG with text.
public enum Pictures {
    /// The 8-bit images of the selected scales of one generator output
    /// (`scales[s]`: `[3, R, R]`, 4x4 first).
    public static func images(_ scales: [Tensor], indices: [Int]) throws -> [RGBImage] {
        try indices.map { try RGBImage(chw: scales[$0]) }
    }

    /// RGB pixels of the seeds picture before padding (what limits bound).
    public static func pixelCount(model: Model, count: Int, scaleIndices: [Int]) -> Int {
        let rmax = scaleIndices.map { model.resolutions[$0] }.max() ?? 0
        return count * rmax * rmax * scaleIndices.count
    }

    // MARK: - Seeds

    /// One image -> itself; several -> a grid; several scales -> the multi-scale sheet.
    /// images[i]: the selected scales of seed i.
    public static func compose(_ images: [[RGBImage]], allScales: Bool) -> RGBImage {
        if allScales { return Layout.multiScaleSheet(images) }
        let flat = images.map { $0[0] }
        return flat.count == 1 ? flat[0] : Layout.grid(flat)
    }

    /// The PNG for `seeds` (image, grid or sheet) with its text chunks.
    public static func seedsPNG(model: Model, seeds: [UInt32], options: RenderOptions, scales: ScaleSelection,
                                images: [[RGBImage]]) throws -> [UInt8] {
        let picture = compose(images, allScales: images.first.map { $0.count > 1 } ?? false)
        let meta = ImageMetadata(model: model, seeds: seeds, options: options, scales: scales)
        return try PNG.encode(picture, text: meta.pngText)
    }

    // MARK: - Style mixing

    /// Mixing maps seeds without truncation unless psi is given (upstream's figure).
    public static func mixOptions(_ options: RenderOptions) -> RenderOptions {
        var o = options
        if o.psi == nil { o.psi = 1 }
        return o
    }

    /// The mixing figure: column seeds across the top, row seeds down the left,
    /// mixes in the cells; several scales stack one figure per scale, each
    /// scaled up by pixel repetition to the largest. `rowImages[r][k]` is
    /// scale k (of `resolutions`) of row seed r, `cells[r][c][k]` likewise.
    public static func mixFigure(rowImages: [[RGBImage]], colImages: [[RGBImage]], cells: [[[RGBImage]]],
                                 resolutions: [Int]) -> RGBImage {
        let largest = resolutions.max()!
        let figures = resolutions.indices.map { k -> RGBImage in
            let up = largest / resolutions[k]
            let side = rowImages[0][k].width * up
            var out = [RGBImage(width: side, height: side, fill: (0, 0, 0))]
            out += colImages.map { $0[k].upscaled(by: up) }
            for r in rowImages.indices {
                out.append(rowImages[r][k].upscaled(by: up))
                out += cells[r].map { $0[k].upscaled(by: up) }
            }
            return Layout.grid(out, columns: colImages.count + 1)
        }
        return figures.count == 1 ? figures[0] : Layout.grid(figures, columns: 1, padding: 8)
    }

    /// The mixing figure as PNG; `styles` is how the request named the layers.
    public static func mixPNG(model: Model, rows: [UInt32], cols: [UInt32], styles: String, options: RenderOptions,
                              scales: ScaleSelection, rowImages: [[RGBImage]], colImages: [[RGBImage]],
                              cells: [[[RGBImage]]]) throws -> [UInt8] {
        let indices = try scales.indices(in: model)
        let picture = mixFigure(rowImages: rowImages, colImages: colImages, cells: cells,
                                resolutions: indices.map { model.resolutions[$0] })
        let meta = ImageMetadata(model: model, seeds: rows + cols, options: options, scales: scales,
                                 extra: [("Rows", ImageMetadata.describe(rows)), ("Columns", ImageMetadata.describe(cols)),
                                         ("Styles", styles)])
        return try PNG.encode(picture, text: meta.pngText)
    }
}
