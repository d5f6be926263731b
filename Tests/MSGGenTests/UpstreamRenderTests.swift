import Foundation
import Testing
@testable import MSGGen
import MSGWeights

/// Upstream checkpoints (tools/upstream/*.py, made from the golden models)
/// loaded directly render the golden expected outputs.
@Suite struct UpstreamRenderTests {
    static func upstream(_ name: String) -> String { Golden.path("upstream/\(name)") }

    @Test(arguments: [("GAN_GEN_3.pth", "progan-d3-l16"), ("GAN_GEN_3-legacy.pth", "progan-d3-l16"),
                      ("GAN_GEN_SHADOW_1.pth", "progan-d1-l8"), ("GAN_GEN_1-dataparallel.pth", "progan-d1-l8")])
    func torchCheckpointRendersTheReference(_ file: String, _ golden: String) throws {
        let model = try Model.load(path: Self.upstream(file))
        let expected = try Golden.expected(golden)
        let seeds = (try Golden.metadataJSON(expected, "seeds") as! [NSNumber]).map { UInt32($0.uint64Value) }
        #expect(!seeds.isEmpty)
        var rendered = 0
        try Renderer(model: model, batch: 2, threads: 2).render(seeds: seeds) { i, scales in
            rendered += 1
            for (s, r) in model.resolutions.enumerated() {
                let err = maxAbsError(scales[s].data, try expected.floats("out/seed\(seeds[i])/\(r)"))
                #expect(err < proGANTolerance, "\(file) seed \(seeds[i]) at \(r)x\(r): \(err)")
            }
        }
        #expect(rendered == seeds.count, "the callback ran \(rendered) times for \(seeds.count) seeds")
    }

    @Test(arguments: StyleFixtures.cases.filter { $0.model == "stylegan-32" })
    func tfPickleRendersTheReference(_ c: StyleCase) throws {
        let model = try Model.load(path: Self.upstream("stylegan-32.pkl"))
        let expected = try Golden.expected("stylegan-32")
        let opts = RenderOptions(psi: c.psi, cutoff: c.cutoff, noise: c.noise, noiseSeed: c.noiseSeed)
        let out = try Renderer(model: model, batch: 1, threads: 2).forward(seeds: [c.seed], options: opts)
        for (s, r) in model.resolutions.enumerated() {
            let e = relativeError(out[s].slice(0).data, try expected.floats("out/\(c.id)/\(r)"))
            #expect(e < styleGANTolerance, "\(c.id) \(r)x\(r): \(e)")
        }
    }
}
