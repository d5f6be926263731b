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
    /// wide band of `background` along the outer edge and between neighbours
    /// (`GridGeometry` gives the size and every cell's place).
    /// - Precondition: at least one image, all the same size; columns >= 1; padding >= 0.
    public static func grid(_ images: [RGBImage], columns: Int? = nil, padding: Int = 2,
                            background: (UInt8, UInt8, UInt8) = (0, 0, 0)) -> RGBImage {
        precondition(!images.isEmpty, "a grid needs at least one image")
        let cellWidth = images[0].width
        let cellHeight = images[0].height
        precondition(images.allSatisfy { $0.width == cellWidth && $0.height == cellHeight },
                     "grid images must share one size; the first is \(cellWidth)x\(cellHeight)")
        let g = GridGeometry(count: images.count, cellWidth: cellWidth, cellHeight: cellHeight, columns: columns, padding: padding)
        var canvas = RGBImage(width: g.width, height: g.height, fill: background)
        for (i, image) in images.enumerated() {
            let o = g.origin(i)
            canvas.paste(image, x: o.x, y: o.y)
        }
        return canvas
    }

    /// Largest side of a picture msg-gen composes: what common viewers and
    /// decoders accept (many refuse sides over 65535 px).
    public static let maxSide = 65_535

    /// Most a multi-scale sheet may be taller than wide before its seeds wrap
    /// into several per row (the paper's figure is a tall strip; 1024 seeds of
    /// 64 px in one strip would be 332 x 67586).
    public static let sheetMaxAspect = 4

    /// Seeds side by side per row of a multi-scale sheet of `count` seeds with
    /// `scales` cells of `side` px each: one (the paper's layout) unless the
    /// strip would be more than `sheetMaxAspect` times taller than wide, else the
    /// fewest that bring it within that aspect (near that aspect, never wider than tall).
    public static func sheetSeedsPerRow(count: Int, scales: Int, side: Int, padding: Int = 2) -> Int {
        precondition(count >= 1 && scales >= 1 && side >= 1 && padding >= 0)
        var across = 1
        while across < count {
            let g = GridGeometry(count: count * scales, cellWidth: side, cellHeight: side, columns: across * scales, padding: padding)
            if g.height <= sheetMaxAspect * g.width { break }
            across += 1
        }
        return across
    }

    /// The geometry of a multi-scale sheet: `sheetSeedsPerRow` seeds per row,
    /// each seed's scales side by side (cell i = seed i / scales, scale i % scales).
    public static func sheetGeometry(count: Int, scales: Int, side: Int, padding: Int = 2) -> GridGeometry {
        let across = sheetSeedsPerRow(count: count, scales: scales, side: side, padding: padding)
        return GridGeometry(count: count * scales, cellWidth: side, cellHeight: side, columns: across * scales, padding: padding)
    }

    /// The synchronized all-resolution figure of the MSG-GAN paper: one row
    /// per sample, holding that sample's images at every scale in the given
    /// order (small -> large), each scaled up by pixel repetition to the
    /// row's largest image, side by side with `padding` as in `grid`. Many
    /// samples wrap several to a row (`sheetSeedsPerRow`), so no side grows
    /// past what viewers accept.
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
        let across = sheetSeedsPerRow(count: samples.count, scales: scales, side: largest.width, padding: padding)
        return grid(cells, columns: across * scales, padding: padding, background: background)
    }
}

/// Where the cells of a grid go: `count` cells of `cellWidth` x `cellHeight`
/// in row-major order, `columns` to a row (torchvision's `make_grid`), with a
/// `padding` wide band along the outer edge and between neighbours.
///
/// columns' = min(columns, count), rows = ceil(count / columns');
/// width = columns' * (cellWidth + padding) + padding, likewise height;
/// cell i's top-left corner: x = (i % columns') * (cellWidth + padding) + padding, likewise y.
public struct GridGeometry: Sendable, Equatable {
    public let count: Int
    public let cellWidth: Int
    public let cellHeight: Int
    public let columns: Int
    public let rows: Int
    public let padding: Int

    /// `columns` nil: near-square (`Layout.gridColumns`).
    /// - Precondition: count >= 1, cell sides >= 1, columns >= 1, padding >= 0.
    public init(count: Int, cellWidth: Int, cellHeight: Int, columns: Int? = nil, padding: Int = 2) {
        precondition(count >= 1, "a grid needs at least one cell")
        precondition(cellWidth >= 1 && cellHeight >= 1, "cells must be at least 1x1, got \(cellWidth)x\(cellHeight)")
        precondition(padding >= 0, "negative padding \(padding)")
        let requested = columns ?? Layout.gridColumns(count: count)
        precondition(requested >= 1, "grid columns must be >= 1, got \(requested)")
        self.count = count
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.columns = min(requested, count)
        self.rows = (count + self.columns - 1) / self.columns
        self.padding = padding
    }

    public var width: Int { columns * (cellWidth + padding) + padding }
    public var height: Int { rows * (cellHeight + padding) + padding }

    /// Top-left corner of cell `i`.
    public func origin(_ i: Int) -> (x: Int, y: Int) {
        ((i % columns) * (cellWidth + padding) + padding, (i / columns) * (cellHeight + padding) + padding)
    }
}
