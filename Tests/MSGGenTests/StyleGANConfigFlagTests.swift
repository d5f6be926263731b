import Testing
@testable import MSGGen
import MSGWeights

/// Every msg-stylegan config flag of FORMAT.md is either honoured (the model
/// renders, and the flag changes what it renders) or refused with an error
/// naming it.
@Suite struct StyleGANConfigFlagTests {
    static func small() -> StyleGANConfig {
        var c = StyleGANConfig(resolution: 16)
        c.fmapBase = 64; c.fmapMax = 16; c.latentSize = 8; c.dlatentSize = 8; c.mappingFmaps = 8; c.mappingLayers = 2
        return c
    }

    static func render(_ cfg: StyleGANConfig) throws -> [Float] {
        let model = try Model(file: RandomModels.styleGAN(cfg, seed: 4))
        return try Renderer(model: model, batch: 1, threads: 1).forward(seeds: [7]).last!.data
    }

    @Test(arguments: ["use_wscale", "use_noise", "use_instance_norm", "use_pixel_norm", "use_styles", "blur_filter", "fused_scale"])
    func flagIsHonoured(_ flag: String) throws {
        var cfg = Self.small()
        switch flag {
        case "use_wscale": cfg.useWscale = false
        case "use_noise": cfg.useNoise = false
        case "use_instance_norm": cfg.useInstanceNorm = false
        case "use_pixel_norm": cfg.usePixelNorm = true
        case "use_styles": cfg.useStyles = false
        case "blur_filter": cfg.blurFilter = []
        default: cfg.fusedScale = .yes
        }
        let base = try Self.render(Self.small())
        let changed = try Self.render(cfg)
        #expect(!changed.contains { !$0.isFinite })
        #expect(changed != base)
    }

    @Test func unsupportedFlagsAreRefusedByName() throws {
        var noConst = Self.small()
        noConst.constInputLayer = false
        #expect(throws: GenError.unsupported("random-stylegan-16", "const_input_layer false (a dense layer from w to the 4x4 input) is not implemented")) {
            try Model(file: RandomModels.styleGAN(noConst))
        }
        var wideBlur = Self.small()
        wideBlur.blurFilter = [1, 3, 3, 1]
        #expect(throws: GenError.self) { try Model(file: RandomModels.styleGAN(wideBlur)) }
    }

    @Test func proGANFileIsNotAStyleGAN() throws {
        let pro = try RandomModels.proGAN(depth: 2, latentSize: 8)
        #expect(throws: GenError.wrongFamily("random-progan-d2-l8", expected: .msgStyleGAN)) { try StyleGANGenerator(model: pro) }
        let style = try RandomModels.styleGAN(Self.small(), name: "s")
        #expect(throws: GenError.wrongFamily("s", expected: .msgProGAN)) { try ProGANGenerator(model: style) }
    }
}
