import Foundation
import Testing
@testable import MSGCLI
import MSGGen
import MSGImage
import MSGTensor

/// Issue 14 item 9 and issue 22 item 4, through the command line: pictures
/// are composed as images finish, sheets of many seeds wrap into rows within
/// what viewers accept, and every cell equals its seed's single render.
@Suite struct LargePictureTests {
    static func decode(_ path: String) throws -> (image: RGBImage, text: [String: String]) {
        try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func sheetOf1024SeedsWrapsAndKeepsEveryCell() throws {
        try inTemporaryDirectory { dir in
            let out = dir + "/sheet.png"
            try runCLI(["--weights", fixture("progan-d3-l16"), "--seed", "0", "--grid", "1024", "--scales", "all",
                        "--out", out, "--quiet"])
            let (sheet, text) = try Self.decode(out)
            #expect(text["Seeds"] == "0-1023")
            let g = Layout.sheetGeometry(count: 1024, scales: 3, side: 16)
            #expect(sheet.width == g.width && sheet.height == g.height)
            #expect(g.columns > 3 && sheet.width <= Layout.maxSide && sheet.height <= Layout.maxSide)
            let model = try Model.load(path: fixture("progan-d3-l16"))
            let alone = Renderer(model: model, batch: 1, threads: 1)
            for seed in [0, 1, 9, 10, 511, 1023] {
                let scales = try alone.forward(seeds: [UInt32(seed)])
                for k in 0..<3 {
                    let cell = try RGBImage(chw: scales[k].slice(0)).upscaled(by: 16 / model.resolutions[k])
                    let o = g.origin(seed * 3 + k)
                    var got = [UInt8]()
                    for y in 0..<16 { for x in 0..<16 { let p = sheet[o.x + x, o.y + y]; got += [p.0, p.1, p.2] } }
                    #expect(got == cell.pixels, "seed \(seed) scale \(k)")
                }
            }
        }
    }

    /// The streamed grid equals the canvas composition of single renders, for
    /// batch sizes that split the seeds unevenly and both thread counts.
    @Test(arguments: [1, 3, 8], [1, 2])
    func gridEqualsSingleRenders(batch: Int, threads: Int) throws {
        try inTemporaryDirectory { dir in
            let out = dir + "/g.png"
            try runCLI(["--weights", fixture("stylegan-32"), "--seed", "5", "--grid", "7", "--batch", "\(batch)",
                        "--threads", "\(threads)", "--out", out, "--quiet"])
            let model = try Model.load(path: fixture("stylegan-32"))
            let alone = Renderer(model: model, batch: 1, threads: 1)
            let cells = try (5..<12).map { try RGBImage(chw: alone.forward(seeds: [UInt32($0)]).last!.slice(0)) }
            #expect(try Self.decode(out).image == Layout.grid(cells))
        }
    }
}
