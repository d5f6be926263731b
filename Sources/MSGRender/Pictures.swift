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

    /// Where the seeds' images go: one image alone, several in a near-square
    /// grid, several scales each in the multi-scale sheet (wrapped so no side
    /// passes `Layout.maxSide`'s viewers' limit at any count the limits allow).
    public static func seedsGeometry(model: Model, count: Int, scaleIndices: [Int]) -> GridGeometry {
        let side = scaleIndices.map { model.resolutions[$0] }.max() ?? 1
        if scaleIndices.count > 1 { return Layout.sheetGeometry(count: count, scales: scaleIndices.count, side: side) }
        return GridGeometry(count: count, cellWidth: side, cellHeight: side, padding: count == 1 ? 0 : 2)
    }

    /// Composes the seeds picture as images arrive (`add`, in seed order) and
    /// encodes it band by band: what the CLI feeds while it renders and the
    /// server once its images are back. Same bytes either way.
    public final class SeedsPicture {
        public let geometry: GridGeometry
        private let scaleIndices: [Int]
        private let writer: GridWriter

        /// `sink`: where the PNG goes as it is encoded (the CLI's output file,
        /// `AtomicFile.stream`); nil keeps it for `finish` (the server's response).
        public convenience init(model: Model, seeds: [UInt32], options: RenderOptions, scales: ScaleSelection,
                                sink: (any ByteSink)? = nil) throws {
            try self.init(model: model, count: seeds.count, scales: scales,
                          metadata: ImageMetadata(model: model, seeds: seeds, options: options, scales: scales), sink: sink)
        }

        /// `count` images laid out as seeds are, with the given PNG text (latents files: `latentsPicture`).
        public init(model: Model, count: Int, scales: ScaleSelection, metadata: ImageMetadata,
                    sink: (any ByteSink)? = nil) throws {
            scaleIndices = try scales.indices(in: model)
            geometry = Pictures.seedsGeometry(model: model, count: count, scaleIndices: scaleIndices)
            writer = try GridWriter(geometry: geometry, text: metadata.pngText, settings: .pictures, sink: sink)
        }

        /// The next seed's generator output (`[3, R, R]` per scale, 4x4 first).
        public func add(_ outputs: [Tensor]) throws {
            for s in scaleIndices { try writer.add(chw: outputs[s]) }
        }

        /// The PNG (empty when it went to the sink).
        @discardableResult
        public func finish() throws -> [UInt8] { try writer.finish() }
    }

    /// The PNG for seeds whose outputs are all at hand (`outputs[i]`: seed i's scales).
    public static func seedsPNG(model: Model, seeds: [UInt32], options: RenderOptions, scales: ScaleSelection,
                                outputs: [[Tensor]]) throws -> [UInt8] {
        let picture = try SeedsPicture(model: model, seeds: seeds, options: options, scales: scales)
        for o in outputs { try picture.add(o) }
        return try picture.finish()
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

    /// The mixing figure composed as its images arrive: `addRow` (row seeds),
    /// `addColumn` (column seeds, in order), then `addCell` row by row. With one
    /// scale the figure is encoded band by band as the cells come (only the row
    /// seeds' 8-bit images wait for their band); several scales stack one figure
    /// per scale, which needs every image first, so those are kept in 8-bit
    /// and composed at the end. The CLI and the server feed it the same way.
    public final class MixPicture {
        private let resolutions: [Int]
        private let scaleIndices: [Int]
        private let rowCount: Int, colCount: Int
        private let meta: ImageMetadata
        private let writer: GridWriter?
        private let sink: (any ByteSink)?
        private var rowImages: [Int: [RGBImage]] = [:]
        private var colImages: [[RGBImage]] = []
        private var cells: [[[RGBImage]]]
        private var nextCell = 0

        /// `sink` as for `SeedsPicture`.
        public init(model: Model, rows: [UInt32], cols: [UInt32], styles: String, options: RenderOptions,
                    scales: ScaleSelection, sink: (any ByteSink)? = nil) throws {
            self.sink = sink
            scaleIndices = try scales.indices(in: model)
            resolutions = scaleIndices.map { model.resolutions[$0] }
            rowCount = rows.count
            colCount = cols.count
            meta = ImageMetadata(model: model, seeds: rows + cols, options: options, scales: scales,
                                 extra: [("Rows", ImageMetadata.describe(rows)), ("Columns", ImageMetadata.describe(cols)),
                                         ("Styles", styles)])
            cells = rows.map { _ in cols.map { _ in [] } }
            if resolutions.count == 1 {
                let side = resolutions[0]
                let g = GridGeometry(count: (rows.count + 1) * (cols.count + 1), cellWidth: side, cellHeight: side,
                                     columns: cols.count + 1)
                writer = try GridWriter(geometry: g, text: meta.pngText, settings: .pictures, sink: sink)
                try writer!.add(RGBImage(width: side, height: side, fill: (0, 0, 0)))   // the empty corner
            } else {
                writer = nil
            }
        }

        private func images(_ outputs: [Tensor]) throws -> [RGBImage] { try Pictures.images(outputs, indices: scaleIndices) }

        /// Row seed `row`'s outputs (`[3, R, R]` per scale, 4x4 first).
        public func addRow(_ row: Int, _ outputs: [Tensor]) throws { rowImages[row] = try images(outputs) }

        /// The next column seed's outputs (columns in order).
        public func addColumn(_ outputs: [Tensor]) throws {
            if let writer { try writer.add(chw: outputs[scaleIndices[0]]) } else { colImages.append(try images(outputs)) }
        }

        /// Cell (row, col)'s outputs; cells in row-major order, after every column.
        public func addCell(row: Int, col: Int, _ outputs: [Tensor]) throws {
            precondition(row * colCount + col == nextCell, "mixing cells must come in row-major order")
            nextCell += 1
            guard let writer else { cells[row][col] = try images(outputs); return }
            if col == 0 {
                guard let r = rowImages.removeValue(forKey: row) else { preconditionFailure("row \(row) added before its cells") }
                try writer.add(r[0])
            }
            try writer.add(chw: outputs[scaleIndices[0]])
        }

        /// The PNG (empty when it went to the sink).
        @discardableResult
        public func finish() throws -> [UInt8] {
            if let writer { return try writer.finish() }
            let picture = Pictures.mixFigure(rowImages: (0..<rowCount).map { rowImages[$0]! }, colImages: colImages,
                                             cells: cells, resolutions: resolutions)
            return try PNG.encode(picture, text: meta.pngText, settings: .pictures, sink: sink)
        }
    }

    /// The mixing figure as PNG from outputs at hand: `rowOutputs[r]`,
    /// `colOutputs[c]`, `cellOutputs[r][c]` (`[3, R, R]` per scale, 4x4 first);
    /// `styles` is how the request named the layers.
    public static func mixPNG(model: Model, rows: [UInt32], cols: [UInt32], styles: String, options: RenderOptions,
                              scales: ScaleSelection, rowOutputs: [[Tensor]], colOutputs: [[Tensor]],
                              cellOutputs: [[[Tensor]]]) throws -> [UInt8] {
        let picture = try MixPicture(model: model, rows: rows, cols: cols, styles: styles, options: options, scales: scales)
        for (r, o) in rowOutputs.enumerated() { try picture.addRow(r, o) }
        for o in colOutputs { try picture.addColumn(o) }
        for r in cellOutputs.indices { for c in cellOutputs[r].indices { try picture.addCell(row: r, col: c, cellOutputs[r][c]) } }
        return try picture.finish()
    }
}
