import Testing
@testable import MSGImage

struct LayoutTests {
    @Test("near-square columns", arguments: [(0, 1), (1, 1), (2, 2), (3, 2), (4, 2), (5, 3), (9, 3), (10, 4), (16, 4), (17, 5)])
    func columns(count: Int, want: Int) {
        #expect(Layout.gridColumns(count: count) == want)
    }

    /// n images of w x h, image i filled with (i + 1, 100, 200).
    static func tiles(_ n: Int, width: Int = 4, height: Int = 3) -> [RGBImage] {
        (0..<n).map { RGBImage(width: width, height: height, fill: (UInt8($0 + 1), 100, 200)) }
    }

    // (n, columns override, padding) -> (across, down); cells are 4 x 3.
    @Test("grid size follows make_grid", arguments: [
        (1, nil, 2, 1, 1), (2, nil, 2, 2, 1), (3, nil, 2, 2, 2), (16, nil, 2, 4, 4), (17, nil, 2, 5, 4),
        (5, 1, 2, 1, 5), (5, 8, 2, 5, 1), (6, 3, 0, 3, 2), (7, 3, 5, 3, 3),
    ] as [(Int, Int?, Int, Int, Int)])
    func gridSize(n: Int, columns: Int?, padding: Int, across: Int, down: Int) {
        let grid = Layout.grid(Self.tiles(n), columns: columns, padding: padding)
        #expect(grid.width == across * (4 + padding) + padding)
        #expect(grid.height == down * (3 + padding) + padding)
    }

    @Test("every pixel is its image's or background, padding around and between cells")
    func gridPixels() {
        let padding = 2
        let n = 5  // 3 columns, 2 rows: the last row has two cells and a background hole
        let grid = Layout.grid(Self.tiles(n), padding: padding, background: (9, 8, 7))
        #expect(grid.width == 3 * 6 + 2 && grid.height == 2 * 5 + 2)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cx = (x - padding) / 6, ix = (x - padding) % 6
                let cy = (y - padding) / 5, iy = (y - padding) % 5
                let inside = x >= padding && y >= padding && ix < 4 && iy < 3 && cx < 3 && cy < 2
                let index = cy * 3 + cx
                let want: (UInt8, UInt8, UInt8) = inside && index < n ? (UInt8(index + 1), 100, 200) : (9, 8, 7)
                #expect(grid[x, y] == want, "pixel (\(x), \(y))")
            }
        }
    }

    @Test("a single image with zero padding is itself")
    func identity() {
        let image = RGBImageTests.coordinates(width: 5, height: 4)
        #expect(Layout.grid([image], padding: 0) == image)
    }

    @Test("multi-scale sheet: one row per sample, each scale repeated up to the largest")
    func multiScaleSheet() {
        // Two samples at 1x1, 2x2 and 4x4; sample s scale k is distinguishable by its pixels.
        let sizes = [1, 2, 4]
        let samples: [[RGBImage]] = (0..<2).map { s in
            sizes.map { side in
                var pixels: [UInt8] = []
                for y in 0..<side { for x in 0..<side { pixels += [UInt8(s), UInt8(side), UInt8(y * side + x)] } }
                return RGBImage(width: side, height: side, pixels: pixels)
            }
        }
        let padding = 1
        let sheet = Layout.multiScaleSheet(samples, padding: padding, background: (255, 255, 255))
        #expect(sheet.width == 3 * (4 + padding) + padding)
        #expect(sheet.height == 2 * (4 + padding) + padding)
        for s in 0..<2 {
            for (k, side) in sizes.enumerated() {
                let factor = 4 / side
                for y in 0..<4 {
                    for x in 0..<4 {
                        let got = sheet[padding + k * (4 + padding) + x, padding + s * (4 + padding) + y]
                        let want = (UInt8(s), UInt8(side), UInt8((y / factor) * side + x / factor))
                        #expect(got == want, "sample \(s), scale \(side), (\(x), \(y))")
                    }
                }
            }
        }
        // Padding between the first two columns is background.
        #expect(sheet[padding + 4, padding] == (255, 255, 255))
        #expect(sheet[0, 0] == (255, 255, 255))
    }

    @Test("multi-scale sheet equals a grid of the upscaled images")
    func sheetIsGrid() {
        let small = RGBImageTests.coordinates(width: 2, height: 3)
        let large = RGBImageTests.coordinates(width: 8, height: 12)
        let sheet = Layout.multiScaleSheet([[small, large]], padding: 2)
        #expect(sheet == Layout.grid([small.upscaled(by: 4), large], columns: 2, padding: 2))
    }
}
