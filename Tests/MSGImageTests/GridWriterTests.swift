import Testing
@testable import MSGImage
import MSGTensor

/// Issue 22 item 4 and issue 14 item 9: pictures composed band by band as
/// their cells arrive give the bytes of the whole-canvas composition, and
/// multi-scale sheets wrap so no side passes what viewers accept.
@Suite struct GridWriterTests {
    /// Cells whose pixels say which cell and where (so misplacement shows).
    static func cells(_ n: Int, side: Int) -> [RGBImage] {
        (0..<n).map { i in
            var p: [UInt8] = []
            for y in 0..<side { for x in 0..<side { p += [UInt8(i & 255), UInt8((y * 7 + x) & 255), UInt8(side)] } }
            return RGBImage(width: side, height: side, pixels: p)
        }
    }

    @Test("band-streamed grid == PNG of the whole canvas", arguments: [
        (1, nil, 0), (1, nil, 2), (5, nil, 2), (7, 3, 1), (16, nil, 2), (6, 6, 0), (3, 1, 4),
    ] as [(Int, Int?, Int)])
    func sameBytesAsCanvas(n: Int, columns: Int?, padding: Int) throws {
        let images = Self.cells(n, side: 5)
        let text = [(key: "Software", value: "msg-gen"), (key: "Seeds", value: "1-\(n)")]
        for background in [(0, 0, 0), (9, 8, 7)] as [(UInt8, UInt8, UInt8)] {
            for settings in [PNGSettings.pictures, PNGSettings(compressionLevel: 1, filters: .up, strategy: .rle)] {
                let want = try PNG.encode(Layout.grid(images, columns: columns, padding: padding, background: background),
                                          text: text, settings: settings)
                let g = GridGeometry(count: n, cellWidth: 5, cellHeight: 5, columns: columns, padding: padding)
                let w = try GridWriter(geometry: g, background: background, text: text, settings: settings)
                for image in images { try w.add(image) }
                #expect(try w.finish() == want, "n \(n) columns \(String(describing: columns)) padding \(padding)")
            }
        }
    }

    @Test func tensorsScaledUpEqualTheirUpscaledImages() throws {
        // Two samples, scales 1, 2, 4 px in a sheet: add(chw:) repeats pixels like `upscaled`.
        let sizes = [1, 2, 4]
        var tensors: [[Tensor]] = []
        for s in 0..<2 {
            tensors.append(sizes.map { r in
                Tensor(shape: [3, r, r], data: (0..<(3 * r * r)).map { Float(($0 * 37 + s * 11) % 200) / 100 - 1 })
            })
        }
        let images = try tensors.map { try $0.map { try RGBImage(chw: $0) } }
        let want = try PNG.encode(Layout.multiScaleSheet(images), settings: .pictures)
        let w = try GridWriter(geometry: Layout.sheetGeometry(count: 2, scales: 3, side: 4))
        for sample in tensors { for t in sample { try w.add(chw: t) } }
        #expect(try w.finish() == want)
        // And the pixels decode to the canvas.
        #expect(try PNG.decode(want).image == Layout.multiScaleSheet(images))
    }

    @Test func wrongCellsAreErrorsNotCrashes() throws {
        let g = GridGeometry(count: 2, cellWidth: 4, cellHeight: 4)
        let w = try GridWriter(geometry: g)
        #expect(throws: ImageError.self) { try w.add(chw: Tensor(zeros: [3, 3, 3])) }        // 3 does not divide 4
        #expect(throws: ImageError.self) { try w.add(chw: Tensor(zeros: [3, 2, 4])) }        // not square-scaled
        #expect(throws: ImageError.self) { try w.add(chw: Tensor(zeros: [1, 4, 4])) }
        #expect(throws: ImageError.self) { try w.add(RGBImage(width: 3, height: 3, fill: (0, 0, 0))) }
        try w.add(chw: Tensor(zeros: [3, 2, 2]))
        #expect(throws: ImageError.self) { try w.finish() }                                 // one cell missing
        let full = try GridWriter(geometry: GridGeometry(count: 1, cellWidth: 2, cellHeight: 2))
        try full.add(chw: Tensor(zeros: [3, 2, 2]))
        #expect(throws: ImageError.self) { try full.add(chw: Tensor(zeros: [3, 2, 2])) }   // one too many
        let writer = try PNGWriter(width: 2, height: 1)
        var row: [UInt8] = [1, 2, 3, 4, 5, 6]
        #expect(throws: ImageError.self) { try writer.write(rows: &row, count: 2, stride: 6) }
        #expect(throws: ImageError.self) { try writer.finish() }                            // no rows yet
    }

    /// Issue 14 item 9: 1024 seeds x 5 scales of 64 px had been one strip of
    /// 332 x 67586 px. Now: the paper's one seed per row while the strip is at
    /// most 4x taller than wide, else several per row; every side fits.
    @Test("sheet wrapping", arguments: [
        (1, 5, 64, 1), (8, 5, 64, 1), (16, 5, 64, 1), (64, 5, 64, 2), (1024, 5, 64, 8),
        (16, 9, 1024, 1), (64, 9, 1024, 2), (2, 3, 16, 1), (1024, 3, 16, 10),
    ] as [(Int, Int, Int, Int)])
    func sheetsWrap(count: Int, scales: Int, side: Int, across: Int) {
        #expect(Layout.sheetSeedsPerRow(count: count, scales: scales, side: side) == across)
        let g = Layout.sheetGeometry(count: count, scales: scales, side: side)
        #expect(g.columns == min(across, count) * scales)
        #expect(g.width <= Layout.maxSide && g.height <= Layout.maxSide)
        #expect(g.height <= Layout.sheetMaxAspect * g.width)
        if across > 1 {   // the fewest seeds per row that do it
            let fewer = GridGeometry(count: count * scales, cellWidth: side, cellHeight: side, columns: (across - 1) * scales)
            #expect(fewer.height > Layout.sheetMaxAspect * fewer.width)
        }
    }

    @Test func wrappedSheetKeepsEachSeedsScalesTogether() {
        // 40 seeds of 1 scale pair (1 px, 2 px): wraps; seed i's two cells stay side by side.
        let samples: [[RGBImage]] = (0..<40).map { i in
            [RGBImage(width: 1, height: 1, fill: (UInt8(i), 1, 0)), RGBImage(width: 2, height: 2, fill: (UInt8(i), 2, 0))]
        }
        let sheet = Layout.multiScaleSheet(samples, padding: 1)
        let g = Layout.sheetGeometry(count: 40, scales: 2, side: 2, padding: 1)
        #expect(g.columns > 2 && sheet.width == g.width && sheet.height == g.height)
        for i in 0..<40 {
            let a = g.origin(2 * i), b = g.origin(2 * i + 1)
            #expect(a.y == b.y && b.x == a.x + 3)
            #expect(sheet[a.x + 1, a.y + 1] == (UInt8(i), 1, 0))
            #expect(sheet[b.x, b.y] == (UInt8(i), 2, 0))
        }
    }
}
