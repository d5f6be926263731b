import Foundation
import MSGGen
import MSGImage
import MSGRender
import MSGTensor
import MSGWeights

/// `msg-gen bench --png-seeds N`: how the PNG encoder's settings trade time for
/// size on a real picture (README "Pictures" states the choice and its figures).
extension BenchCommand {
    /// The settings compared: zlib levels with libpng's adaptive filters, then
    /// single filters and zlib strategies at the fast levels, and single
    /// filters with Z_RLE and with Huffman coding alone.
    static let pngCandidates: [PNGSettings] = {
        var c = [0, 1, 2, 3, 4, 6, 9].map { PNGSettings(compressionLevel: $0, filters: .adaptive) }
        for f in [PNGSettings.Filters.none, .sub, .up, .paeth] {
            c.append(PNGSettings(compressionLevel: 1, filters: f))
            c.append(PNGSettings(compressionLevel: 6, filters: f))
        }
        for s in [PNGSettings.Strategy.rle, .filtered] {
            c.append(PNGSettings(compressionLevel: 1, filters: .adaptive, strategy: s))
            c.append(PNGSettings(compressionLevel: 3, filters: .adaptive, strategy: s))
        }
        // Z_RLE with one filter: no per-row trial of all five (libpng's adaptive heuristic).
        for f in [PNGSettings.Filters.sub, .up, .paeth] {
            c.append(PNGSettings(compressionLevel: 1, filters: f, strategy: .rle))
            c.append(PNGSettings(compressionLevel: 1, filters: f, strategy: .huffmanOnly))
        }
        return c
    }()

    func runPNG() throws {
        let sources: [(String, () throws -> Model)] = weights.isEmpty
            ? models.map { m in (m.rawValue, { try m.load() }) }
            : weights.map { w in (URL(fileURLWithPath: w).deletingPathExtension().lastPathComponent,
                                  { try Model(file: ModelFile.open(path: w)) }) }
        print("model            picture        level filters  strategy  ms (median of 7)   MB     x raw")
        for (label, make) in sources {
            let model = try make()
            let seeds = (0..<UInt32(pngSeeds)).map { $0 }
            var outputs: [[Tensor]] = []
            try Renderer(model: model, batch: 8, threads: threads).render(seeds: seeds) { _, s in
                outputs.append([s.last!])   // keep the largest scale only
            }
            let g = Pictures.seedsGeometry(model: model, count: seeds.count, scaleIndices: [model.resolutions.count - 1])
            for settings in Self.pngCandidates {
                var times: [Double] = [], size = 0
                for _ in 0..<7 {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let w = try GridWriter(geometry: g, settings: settings)
                    for o in outputs { try w.add(chw: o[0]) }
                    size = try w.finish().count
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                }
                times.sort()
                let raw = Double(g.width * g.height * 3)
                print(String(format: "%-15@ %5dx%-7d %6d %-8@ %-9@ %10.3f %10.4f %7.3f",
                             label as NSString, g.width, g.height, settings.compressionLevel,
                             "\(settings.filters)" as NSString, "\(settings.strategy)" as NSString,
                             times[3], Double(size) / 1e6, Double(size) / raw))
                fflush(nil)
            }
        }
    }
}
