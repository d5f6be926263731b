import Foundation
import Testing
@testable import MSGGen
import MSGTensor
import MSGWeights

/// README "Weights": every msg-stylegan config flag is honoured. Parity with
/// tools/reference/stylegan.py extended to the non-default flags: `flags-a`
/// (use_wscale false: coefficient lrmul alone; pixel norm; no blur) and `flags-b`
/// (no noise inputs, no instance norm, no styles, fused up-convs, blur [1, 3, 2]).
/// Cases with psi null take the file's truncation (0.7 on layers 0-7) in both.
/// Tolerance: as StyleGANGoldenTests (relative 2e-4; printed worst case).
@Suite struct StyleGANFlagGoldenTests {
    @Test(arguments: StyleFixtures.cases(of: StyleFixtures.flagModels))
    func matchesExtendedReference(_ c: StyleCase) throws {
        let model = try Model.load(path: Golden.path("\(c.model).safetensors"))
        let expected = try Golden.expected(c.model)
        let opts = RenderOptions(psi: c.psi, cutoff: c.cutoff, noise: c.noise, noiseSeed: c.noiseSeed)
        let renderer = Renderer(model: model, batch: 2, threads: 2)
        #expect(relativeError(try renderer.dlatents(seed: c.seed, options: opts), try expected.floats("w/\(c.id)")) < 1e-5, "w")
        let out = try renderer.forward(seeds: [c.seed, 1], options: opts)
        var worst: Float = 0
        for (s, r) in model.resolutions.enumerated() {
            let e = relativeError(out[s].slice(0).data, try expected.floats("out/\(c.id)/\(r)"))
            worst = max(worst, e)
            #expect(e < styleGANTolerance, "\(r)x\(r): error \(e)")
        }
        print("\(c.model) \(c.id): worst relative error \(worst)")
    }

    @Test(arguments: StyleFixtures.mixes(of: StyleFixtures.flagModels))
    func mixingMatchesExtendedReference(_ c: MixCase) throws {
        let model = try Model.load(path: Golden.path("\(c.model).safetensors"))
        let expected = try Golden.expected(c.model)
        var got: [Tensor] = []
        var calls = 0
        try Renderer(model: model, batch: 2, threads: 2).mix(rows: [c.row], cols: [c.col], layers: c.layers,
                                                             options: RenderOptions(psi: c.psi, cutoff: c.cutoff)) { _, _, s in
            got = s; calls += 1
        }
        try #require(calls == 1)
        for (s, r) in model.resolutions.enumerated() {
            let e = relativeError(got[s].data, try expected.floats("mix/\(c.id)/\(r)"))
            #expect(e < styleGANTolerance, "\(r)x\(r): error \(e)")
        }
    }

    @Test func fixturesHoldTheFlags() throws {
        let checks: [(String, (StyleGANConfig) -> Bool)] = [
            ("stylegan-16-flags-a", { !$0.useWscale && $0.usePixelNorm && $0.blurFilter.isEmpty }),
            ("stylegan-16-flags-b", { !$0.useNoise && !$0.useInstanceNorm && !$0.useStyles && $0.blurFilter == [1, 3, 2] }),
        ]
        for (name, check) in checks {
            let file = try ModelFile.open(path: Golden.path("\(name).safetensors"))
            guard case .styleGAN(let cfg) = file.config else { Issue.record("\(name) is not a StyleGAN"); continue }
            #expect(check(cfg), "\(name)")
        }
    }
}
