/// Arranging images into one picture: seed grids and the MSG-GAN paper's
/// all-resolution sheets.
public enum Layout {
    /// Columns of a near-square grid for `count` images: ceil(sqrt(count)), at least 1.
    public static func gridColumns(count: Int) -> Int {
        precondition(count >= 0, "negative image count \(count)")
        var columns = 1
        while columns * columns < count { columns += 1 }
        return columns
    }

    /// Images in row-major cells, as torchvision's `make_grid`: a `padding`
    /// wide band of `background` along the outer edge and between neighbours.
    ///
    /// Size: columns' = min(columns, n), rows = ceil(n / columns');
    /// width = columns' * (w + padding) + padding, height = rows * (h + padding) + padding.
    /// Image i sits at x = (i % columns') * (w + padding) + padding, likewise y.
    /// - Precondition: at least one image, all the same size; columns >= 1; padding >= 0.
    public static func grid(_ images: [RGBImage], columns: Int? = nil, padding: Int = 2,
                            background: (UInt8, UInt8, UInt8) = (0, 0, 0)) -> RGBImage {
        precondition(!images.isEmpty, "a grid needs at least one image")
        precondition(padding >= 0, "negative padding \(padding)")
        let cellWidth = images[0].width
        let cellHeight = images[0].height
        precondition(images.allSatisfy { $0.width == cellWidth && $0.height == cellHeight },
                     "grid images must share one size; the first is \(cellWidth)x\(cellHeight)")
        let requested = columns ?? gridColumns(count: images.count)
        precondition(requested >= 1, "grid columns must be >= 1, got \(requested)")
        let across = min(requested, images.count)
        let down = (images.count + across - 1) / across
        let stepX = cellWidth + padding
        let stepY = cellHeight + padding
        var canvas = RGBImage(width: across * stepX + padding, height: down * stepY + padding, fill: background)
        for (i, image) in images.enumerated() {
            canvas.paste(image, x: (i % across) * stepX + padding, y: (i / across) * stepY + padding)
        }
        return canvas
    }

    /// The synchronized all-resolution figure of the MSG-GAN paper: one row
    /// per sample, holding that sample's images at every scale in the given
    /// order (small -> large), each scaled up by pixel repetition to the
    /// row's largest image, side by side with `padding` as in `grid`.
    /// - Precondition: every sample has the same number of scales (>= 1), the
    ///   same largest size, and each side of a scale divides that size by the
    ///   same whole factor.
    public static func multiScaleSheet(_ samples: [[RGBImage]], padding: Int = 2,
                                       background: (UInt8, UInt8, UInt8) = (0, 0, 0)) -> RGBImage {
        precondition(!samples.isEmpty, "a multi-scale sheet needs at least one sample")
        let scales = samples[0].count
        precondition(scales >= 1, "a sample needs at least one scale")
        precondition(samples.allSatisfy { $0.count == scales },
                     "every sample must have the same number of scales (\(scales))")
        let largest = samples[0].max { $0.width * $0.height < $1.width * $1.height }!
        var cells: [RGBImage] = []
        cells.reserveCapacity(samples.count * scales)
        for sample in samples {
            for image in sample {
                precondition(image.width >= 1 && image.height >= 1
                             && largest.width % image.width == 0 && largest.height % image.height == 0
                             && largest.width / image.width == largest.height / image.height,
                             "scale \(image.width)x\(image.height) does not divide \(largest.width)x\(largest.height) evenly")
                cells.append(image.upscaled(by: largest.width / image.width))
            }
        }
        return grid(cells, columns: scales, padding: padding, background: background)
    }
}
