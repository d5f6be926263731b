import Testing
@testable import MSGGen
import MSGKernels
import MSGWeights

/// Every conv path (GEMM, direct, Winograd) renders the same pictures through
/// whole generators wide enough for `.auto` to pick Winograd (>= 64 channels).
/// Tolerance: relative 2e-4, as the golden tests (float32 sums in other orders).
@Suite struct ConvPathTests {
    @Test(arguments: [ConvLayer.Strategy.direct, .winograd, .auto])
    func proGANPathsAgree(_ strategy: ConvLayer.Strategy) throws {
        let file = try RandomModels.proGAN(depth: 5, latentSize: 64)   // 64 px, C = 64,64,64,64,32
        let reference = try Renderer(model: Model(file: file, strategy: .gemm), batch: 2, threads: 2).forward(seeds: [3, 9])
        let got = try Renderer(model: Model(file: file, strategy: strategy), batch: 2, threads: 2).forward(seeds: [3, 9])
        for s in reference.indices {
            #expect(relativeError(got[s].data, reference[s].data) < 2e-4, "scale \(s)")
        }
    }

    @Test(arguments: [ConvLayer.Strategy.direct, .winograd, .auto])
    func styleGANPathsAgree(_ strategy: ConvLayer.Strategy) throws {
        var cfg = StyleGANConfig(resolution: 32)
        cfg.fmapBase = 512; cfg.fmapMax = 64
        cfg.latentSize = 32; cfg.dlatentSize = 32; cfg.mappingFmaps = 32; cfg.mappingLayers = 2
        let file = try RandomModels.styleGAN(cfg)
        let reference = try Renderer(model: Model(file: file, strategy: .gemm), batch: 1, threads: 2).forward(seeds: [5])
        let got = try Renderer(model: Model(file: file, strategy: strategy), batch: 1, threads: 2).forward(seeds: [5])
        for s in reference.indices {
            #expect(relativeError(got[s].data, reference[s].data) < 2e-4, "scale \(s)")
        }
    }
}
