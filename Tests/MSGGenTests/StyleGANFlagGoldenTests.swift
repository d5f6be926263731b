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
        let worst = try StyleFixtures.check(c, batchMates: [1])
        print("\(c.model) \(c.id): worst relative error \(worst)")
    }

    @Test(arguments: StyleFixtures.mixes(of: StyleFixtures.flagModels))
    func mixingMatchesExtendedReference(_ c: MixCase) throws {
        try StyleFixtures.checkMix(c)
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
