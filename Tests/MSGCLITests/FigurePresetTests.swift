import Foundation
import Testing
@testable import MSGCLI
import MSGGen
import MSGImage
import MSGTensor

/// README "Style mixing": `--preset figure` is upstream's layout. The reference,
/// written out here independently of MixCommand: StyleGAN's generate_figures.py
/// draws figure 3 with `src_seeds=[639, 701, 687, 615, 2268]` across the top,
/// `dst_seeds=[888, 829, 1898, 1733, 1614, 845]` down the side, and
/// `style_ranges=[range(0, 4)] * 3 + [range(4, 8)] * 2 + [range(8, 18)]`, one per
/// row; below 1024 px the ranges shrink to the model's layers (SEMANTICS.md).
@Suite struct FigurePresetTests {
    static let rows: [UInt32] = [888, 829, 1898, 1733, 1614, 845]
    static let cols: [UInt32] = [639, 701, 687, 615, 2268]
    static let ranges: [Range<Int>] = [0..<4, 0..<4, 0..<4, 4..<8, 4..<8, 8..<18]

    /// Every cell of the preset, at every scale, equals the engine's mix of that
    /// row and column seed with the reference's layers for that row (10 style
    /// layers: the fine row swaps 8 and 9).
    @Test func cellsFollowUpstreamsRowsColumnsAndRanges() throws {
        let path = fixture("stylegan-64-fused")
        let model = try Model.load(path: path)
        let n = try #require(model.styleLayerCount)
        #expect(n == 10)
        let renderer = Renderer(model: model, batch: 4, threads: 2)
        let layers = Self.ranges.map { Array($0.clamped(to: 0..<n)) }
        var want: [String: [Tensor]] = [:]
        try renderer.mix(rows: Self.rows, cols: Self.cols, layersPerRow: layers, options: RenderOptions(psi: 1)) { r, c, s in
            want["\(Self.rows[r])-\(Self.cols[c])"] = s
        }
        #expect(want.count == 30)
        try inTemporaryDirectory { dir in
            try runCLI(["mix", "--weights", path, "--preset", "figure", "--format", "npy", "--scales", "all", "--out", dir, "--quiet"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).count == 30 * model.resolutions.count)
            for (key, scales) in want {
                let (row, col) = (key.split(separator: "-")[0], key.split(separator: "-")[1])
                for (s, res) in model.resolutions.enumerated() {
                    let file = "\(dir)/row\(row)-col\(col)-\(res)x\(res).npy"
                    let got = try NPY.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
                    #expect(got.data == scales[s].data, "row \(row) col \(col) at \(res)x\(res)")
                }
            }
        }
    }

    /// The PNG: the reference's seeds in its order, the figure's size (a header
    /// row and column around 6 x 5 cells), and the row/column images are the seeds'
    /// own renders at psi 1.
    @Test func pngHoldsTheReferenceSeedsInOrder() throws {
        try inTemporaryDirectory { dir in
            let path = fixture("stylegan-64-fused")
            try runCLI(["mix", "--weights", path, "--preset", "figure", "--out", dir + "/f.png", "--quiet"])
            let (figure, text) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/f.png"))))
            #expect(text["Rows"] == Self.rows.map(String.init).joined(separator: ","))
            #expect(text["Columns"] == Self.cols.map(String.init).joined(separator: ","))
            #expect(figure.width == 6 * (64 + 2) + 2 && figure.height == 7 * (64 + 2) + 2)
            let model = try Model.load(path: path)
            let renderer = Renderer(model: model, batch: 1, threads: 2)
            func image(_ seed: UInt32) throws -> RGBImage {
                try RGBImage(chw: renderer.forward(seeds: [seed], options: RenderOptions(psi: 1)).last!.slice(0))
            }
            func cell(_ x: Int, _ y: Int) -> RGBImage {
                var pixels: [UInt8] = []
                for j in 0..<64 { for i in 0..<64 {
                    let p = figure[x * 66 + 2 + i, y * 66 + 2 + j]
                    pixels += [p.0, p.1, p.2]
                } }
                return RGBImage(width: 64, height: 64, pixels: pixels)
            }
            for (c, seed) in Self.cols.enumerated() {
                let want = try image(seed)
                #expect(cell(c + 1, 0) == want, "column \(c)")
            }
            for (r, seed) in Self.rows.enumerated() {
                let want = try image(seed)
                #expect(cell(0, r + 1) == want, "row \(r)")
            }
        }
    }
}
