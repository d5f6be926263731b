import CMSGPNG
import MSGTensor

/// A grid picture (`GridGeometry`: one image, a seed grid or a multi-scale
/// sheet) composed in 8-bit as its cells arrive, in order, and encoded as PNG
/// band by band: once a row of cells is complete its pixel rows go to the
/// encoder and the band is reused. Only one band (`width x (cellHeight +
/// padding)` RGB) and the compressed output are held, never a float canvas or
/// the whole 8-bit picture; with a `sink` (the output file, `AtomicFile.stream`)
/// not even the output. The bytes equal `PNG.encode(Layout.grid(...))` of the
/// same cells with the same settings.
public final class GridWriter {
    public let geometry: GridGeometry
    private let background: (UInt8, UInt8, UInt8)
    private let png: PNGWriter
    private var band: [UInt8]
    private var bandIndex = 0        // the row of cells the band holds
    private var cellsDone = 0

    public init(geometry: GridGeometry, background: (UInt8, UInt8, UInt8) = (0, 0, 0),
                text: [(key: String, value: String)] = [], settings: PNGSettings = .pictures,
                sink: (any ByteSink)? = nil) throws(ImageError) {
        self.geometry = geometry
        self.background = background
        png = try PNGWriter(width: geometry.width, height: geometry.height, text: text, settings: settings, sink: sink)
        band = []
        resetBand()
    }

    private var bandRows: Int { geometry.cellHeight + geometry.padding }

    private func resetBand() {
        let count = geometry.width * 3 * bandRows
        if band.count != count { band = [UInt8](repeating: 0, count: count) }
        if background != (0, 0, 0) || bandIndex > 0 {
            band.withUnsafeMutableBufferPointer { b in
                var i = 0
                while i < b.count { b[i] = background.0; b[i + 1] = background.1; b[i + 2] = background.2; i += 3 }
            }
        }
    }

    /// The next cell: `[3, H, W]` raw generator output (`PixelMapping`), scaled
    /// up by pixel repetition to the cell size (H must divide the cell height
    /// by the same whole factor as W the width).
    public func add(chw tensor: Tensor) throws(ImageError) {
        let s = tensor.shape
        guard s.count == 3, s[0] == 3, s[1] >= 1, s[2] >= 1,
              geometry.cellHeight % s[1] == 0, geometry.cellWidth % s[2] == 0,
              geometry.cellHeight / s[1] == geometry.cellWidth / s[2] else {
            throw .invalidTensorShape(s)
        }
        let h = s[1], w = s[2], plane = h * w
        try place(height: h, width: w) { y, row in
            tensor.data.withUnsafeBufferPointer { src in
                let r = src.baseAddress! + y * w
                msg_planes_to_rgb8(r, r + plane, r + 2 * plane, w, row)
            }
        }
    }

    /// The next cell as 8-bit pixels (scaled up like `add(chw:)`).
    public func add(_ image: RGBImage) throws(ImageError) {
        guard image.width >= 1, image.height >= 1,
              geometry.cellHeight % image.height == 0, geometry.cellWidth % image.width == 0,
              geometry.cellHeight / image.height == geometry.cellWidth / image.width else {
            throw .invalidImageSize(width: image.width, height: image.height)
        }
        try place(height: image.height, width: image.width) { y, row in
            image.pixels.withUnsafeBufferPointer { src in
                (row).update(from: src.baseAddress! + y * image.width * 3, count: image.width * 3)
            }
        }
    }

    /// Writes a cell whose source row y (w pixels) `fill` puts at `row`, each
    /// pixel repeated to the cell's scale, then flushes every completed band.
    private func place(height h: Int, width w: Int, fill: (Int, UnsafeMutablePointer<UInt8>) -> Void) throws(ImageError) {
        guard cellsDone < geometry.count else {
            throw .pngEncodingFailed("grid of \(geometry.count) cells given one more")
        }
        let g = geometry, factor = g.cellWidth / w
        let o = g.origin(cellsDone)
        let bandTop = bandIndex * bandRows
        let rowBytes = g.width * 3
        var source = [UInt8](repeating: 0, count: w * 3)
        band.withUnsafeMutableBufferPointer { b in
            let base = b.baseAddress!
            source.withUnsafeMutableBufferPointer { sp in
                let sRow = sp.baseAddress!
                for y in 0..<h {
                    fill(y, sRow)
                    let first = base + (o.y - bandTop + y * factor) * rowBytes + o.x * 3
                    if factor == 1 {
                        first.update(from: sRow, count: w * 3)
                    } else {
                        for x in 0..<w {
                            for r in 0..<factor {
                                let d = first + (x * factor + r) * 3
                                d[0] = sRow[3 * x]; d[1] = sRow[3 * x + 1]; d[2] = sRow[3 * x + 2]
                            }
                        }
                    }
                    for r in 1..<max(factor, 1) {
                        (first + r * rowBytes).update(from: first, count: g.cellWidth * 3)
                    }
                }
            }
        }
        cellsDone += 1
        if cellsDone % g.columns == 0 || cellsDone == g.count { try flushBand() }
    }

    private func flushBand() throws(ImageError) {
        try band.withUnsafeBufferPointer { (b) throws(ImageError) in
            try png.write(rows: b.baseAddress!, count: bandRows, stride: geometry.width * 3)
        }
        bandIndex += 1
        resetBand()
    }

    /// The PNG, after the last cell (throws if cells are missing); empty when it went to the sink.
    @discardableResult
    public func finish() throws(ImageError) -> [UInt8] {
        guard cellsDone == geometry.count else {
            throw .pngEncodingFailed("grid of \(geometry.count) cells finished after \(cellsDone)")
        }
        // The bottom padding: background rows (the band was just reset).
        if geometry.padding > 0 {
            try band.withUnsafeBufferPointer { (b) throws(ImageError) in
                try png.write(rows: b.baseAddress!, count: geometry.padding, stride: geometry.width * 3)
            }
        }
        return try png.finish()
    }
}
