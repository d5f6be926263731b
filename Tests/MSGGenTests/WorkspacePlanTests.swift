import Foundation
import Testing
@testable import MSGGen
import MSGTensor
import MSGWeights

/// Issue 22: memory sized by the pass. A pass of k images plans for k; the
/// layers run image by image plan one image's buffers whatever k; buffers grow
/// for a larger pass and `releaseBuffers` gives them back.
@Suite struct WorkspacePlanTests {
    /// Models of the upstream shapes, with the channel widths cut so they load
    /// in a test (the plan depends on resolution and channels alone), and the
    /// threshold scaled down by the same factor so the split falls where it
    /// does at full width.
    static func model(_ name: String) throws -> Model {
        switch name {
        case "progan-d5-l24", "stylegan-32", "stylegan-64-fused", "stylegan-128-auto", "progan-d6-l32":
            return try Model.load(path: Golden.path("\(name).safetensors"))
        case "progan-1024-narrow":
            // Depth 9 (4 ... 1024 px) like BMSG-GAN's 1024 px model; latent 128 (upstream 512).
            return try Model(file: RandomModels.proGAN(depth: 9, latentSize: 128))
        default:
            Issue.record("unknown model \(name)")
            throw CancellationError()
        }
    }

    static let models = ["progan-d5-l24", "progan-d6-l32", "stylegan-32", "stylegan-64-fused", "stylegan-128-auto"]

    /// Activation floats of each layer of one image, in forward order, with
    /// the index the split counts in (ProGAN: block; StyleGAN: layer).
    static func activations(_ model: Model) -> [(unit: Int, floats: Int)] {
        switch model.backend {
        case .proGAN(let g):
            var out = [(0, 16 * max(g.config.latentSize, g.config.channels(block: 0)))]
            for i in 1..<max(g.config.depth, 1) {
                let r = 4 << i
                out.append((i, r * r * g.config.channels(block: i)))
            }
            return out
        case .styleGAN(let g):
            return g.layers.enumerated().map { ($0.offset, $0.element.resolution * $0.element.resolution * $0.element.channels) }
        }
    }

    @Test(arguments: models, [1, 4 << 10, 16 << 10, WorkspacePlan.defaultPerImageFloats])
    func planScalesWithThePassOnlyBelowTheSplit(name: String, perImageFloats: Int) throws {
        let model = try Self.model(name)
        let renderer = Renderer(model: model, batch: 8, threads: 2, perImageFloats: perImageFloats)
        let acts = Self.activations(model)
        let one = renderer.plan(images: 1)
        // The split: the first unit (ProGAN block >= 1; StyleGAN up-conv layer >= 2)
        // whose activations reach the threshold.
        let split: Int?
        switch model.family {
        case .msgProGAN: split = acts.first { $0.unit >= 1 && $0.floats >= perImageFloats }?.unit
        case .msgStyleGAN: split = acts.first { $0.unit >= 2 && $0.unit % 2 == 0 && $0.floats >= perImageFloats }?.unit
        }
        #expect(one.perImageFrom == split)
        let batchedWant = acts.filter { $0.unit < (split ?? Int.max) }.map(\.floats).max() ?? 0
        let imageWant = acts.filter { $0.unit >= (split ?? Int.max) }.map(\.floats).max() ?? 0
        for k in 1...8 {
            let p = renderer.plan(images: k)
            #expect(p.images == k)
            #expect(p.perImageFrom == split, "k \(k)")
            #expect(p.batchedActivation == batchedWant, "k \(k)")
            #expect(p.imageActivation == imageWant, "k \(k): per-image buffers must not grow with the pass")
            // The only growth with k: batched activations and per-image state of the
            // batched layers (Winograd bands hold at most k images of a small layer).
            let growth = p.bytes - one.bytes
            let perImage = 2 * batchedWant * 4 + one.otherBytes + one.scratch.bandV * 4 + one.scratch.bandM * 4
            #expect(growth >= (k - 1) * 2 * batchedWant * 4, "k \(k)")
            #expect(growth <= (k - 1) * perImage, "k \(k): grew \(growth) bytes, at most \(perImage) per extra image")
        }
    }

    /// At the default threshold the full-size shape's largest activations are
    /// one image's whatever the pass: a depth-9 (1024 px) MSG-ProGAN plans its
    /// 1024x1024 activations once for 1 or 8 images.
    @Test func upstreamDepthPlansTheLargestActivationOnce() throws {
        let model = try Self.model("progan-1024-narrow")
        let renderer = Renderer(model: model, batch: 8, threads: 2)
        let one = renderer.plan(images: 1), eight = renderer.plan(images: 8)
        guard case .proGAN(let g) = model.backend else { return }
        let full = 1024 * 1024 * g.config.channels(block: 8)
        #expect(one.imageActivation == full && eight.imageActivation == full)
        #expect(one.perImageFrom != nil && one.perImageFrom! < 8)
        #expect(eight.batchedActivation < full)
        // Eight images cost less than eight one-image plans would: only the batched part grows.
        #expect(eight.bytes - one.bytes <= 7 * (one.bytes - 2 * full * 4))
    }

    /// Instance-norm statistics follow the schedule too: the high-resolution
    /// layers that run image by image keep one image's (slots x channels of
    /// that layer alone), so a pass of 8 adds only the batched layers' share.
    /// (Before: 8 x the most slots of any layer x the most channels of any
    /// layer, 64 MB at the upstream 1024 px shape.) Shape: msg-stylegan-tf's
    /// 1024 px layer list, widths cut to 1/8 (fmap_base 1024, fmap_max 64).
    @Test func styleGANStatisticsOfPerImageLayersArePlannedOnce() throws {
        var cfg = StyleGANConfig(resolution: 1024)
        cfg.fmapBase = 1024; cfg.fmapMax = 64
        cfg.latentSize = 64; cfg.dlatentSize = 64; cfg.mappingFmaps = 64; cfg.mappingLayers = 2
        let model = try Model(file: RandomModels.styleGAN(cfg))
        guard case .styleGAN(let g) = model.backend else { Issue.record("not a StyleGAN"); return }
        let perImageFloats = 1 << 17   // the default threshold scaled by the same 1/8
        let renderer = Renderer(model: model, batch: 8, threads: 2, perImageFloats: perImageFloats)
        let one = renderer.plan(images: 1), eight = renderer.plan(images: 8)
        let split = try #require(one.perImageFrom)
        func stats(_ l: Int) -> Int { g.statSlots(layer: l) * 2 * g.layers[l].channels * MemoryLayout<Double>.stride }
        let batched = (0..<split).map(stats).max()!, perImage = (split..<g.layers.count).map(stats).max()!
        let maxC = g.layers.map(\.channels).max()!
        // The earlier plan: every image x the most slots of any layer x the most channels of any layer.
        let maxSlots = g.layers.indices.map { g.statSlots(layer: $0) }.max()!
        let before = 8 * maxSlots * 2 * maxC * MemoryLayout<Double>.stride
        #expect(max(8 * batched, perImage) * 8 < before, "the shape must make the difference visible")
        let smallState = (2 * maxC + g.styleLength) * MemoryLayout<Float>.stride
        #expect(one.otherBytes <= max(batched, perImage) + smallState)
        #expect(eight.otherBytes <= max(8 * batched, perImage) + 8 * smallState)
        #expect(eight.otherBytes >= perImage)
        // And the pass renders the same bits as one image alone.
        let alone = try Renderer(model: model, batch: 1, threads: 1, perImageFloats: perImageFloats).forward(seeds: [3])
        let batch = try renderer.forward(seeds: [1, 2, 3])
        for s in model.resolutions.indices { #expect(batch[s].slice(2) == alone[s].slice(0), "scale \(s)") }
    }

    /// `--batch` is an upper bound: a renderer allowed 8 plans for the pass it
    /// runs, grows for a larger one, keeps the larger one, and gives it back.
    @Test(arguments: ["progan-d5-l24", "stylegan-32"])
    func buffersFollowThePasses(_ name: String) throws {
        let model = try Self.model(name)
        let renderer = Renderer(model: model, batch: 8, threads: 2, perImageFloats: 1)
        #expect(renderer.heldPlan == nil)
        _ = try renderer.forward(seeds: [1])
        #expect(renderer.heldPlan == renderer.plan(images: 1))
        _ = try renderer.forward(seeds: [1, 2, 3, 4, 5])
        #expect(renderer.heldPlan == renderer.plan(images: 5))
        _ = try renderer.forward(seeds: [1, 2])
        #expect(renderer.heldPlan == renderer.plan(images: 5))    // no shrinking between passes
        try renderer.render(seeds: Array(0..<20)) { _, _ in }
        #expect(renderer.heldPlan == renderer.plan(images: 8))
        #expect(renderer.releaseBuffers() == renderer.plan(images: 8).bytes)
        #expect(renderer.heldPlan == nil)
        _ = try renderer.forward(seeds: [9])
        #expect(renderer.heldPlan == renderer.plan(images: 1))
    }
}

/// Issue 22: images stay bit-identical to the single-seed render for every
/// batch size, thread count, schedule (batched or image by image), streamed
/// (`render`) or whole-pass (`forward`), and whatever the renderer's buffers
/// held before (grown, released, reused).
@Suite struct BatchBitIdentityTests {
    static let seeds: [UInt32] = [7, 42, 0, 4_294_967_295, 99, 3, 12]

    static func reference(_ model: Model, options: RenderOptions) throws -> [[Tensor]] {
        let alone = Renderer(model: model, batch: 1, threads: 1)
        return try seeds.map { seed in try alone.forward(seeds: [seed], options: options).map { $0.slice(0) } }
    }

    @Test(arguments: ["progan-d5-l24", "stylegan-32", "stylegan-64-fused"], [1, WorkspacePlan.defaultPerImageFloats])
    func everyBatchAndThreadCount(name: String, perImageFloats: Int) throws {
        let model = try WorkspacePlanTests.model(name)
        let options = model.family == .msgStyleGAN ? RenderOptions(noise: .random, noiseSeed: 5) : RenderOptions()
        let want = try Self.reference(model, options: options)
        for threads in [1, 2, 3] {
            for batch in 1...8 {
                let renderer = Renderer(model: model, batch: batch, threads: threads, perImageFloats: perImageFloats)
                var streamed = [[Tensor]](repeating: [], count: Self.seeds.count)
                try renderer.render(seeds: Self.seeds, options: options) { i, scales in streamed[i] = scales }
                for i in Self.seeds.indices {
                    for s in model.resolutions.indices {
                        #expect(streamed[i][s] == want[i][s], "render: seed \(Self.seeds[i]) scale \(s) batch \(batch) threads \(threads)")
                    }
                }
                // Whole passes of every size up to the batch, after the streamed ones.
                let k = min(batch, Self.seeds.count)
                let out = try renderer.forward(seeds: Array(Self.seeds.suffix(k)), options: options)
                for j in 0..<k {
                    let i = Self.seeds.count - k + j
                    for s in model.resolutions.indices {
                        #expect(out[s].slice(j) == want[i][s], "forward: seed \(Self.seeds[i]) scale \(s) batch \(batch) threads \(threads)")
                    }
                }
            }
        }
    }

    @Test func releasedAndRegrownBuffersRenderTheSame() throws {
        let model = try WorkspacePlanTests.model("stylegan-32")
        let want = try Self.reference(model, options: RenderOptions())
        let renderer = Renderer(model: model, batch: 4, threads: 2, perImageFloats: 1)
        for round in 0..<3 {
            let out = try renderer.forward(seeds: Array(Self.seeds.prefix(round + 2)))
            for j in 0..<(round + 2) {
                for s in model.resolutions.indices { #expect(out[s].slice(j) == want[j][s], "round \(round) seed \(j) scale \(s)") }
            }
            renderer.releaseBuffers()
        }
    }

    /// Scales handed out by a streamed pass stay intact when the caller keeps
    /// them past the callback (the next image's tensors are copied on write).
    @Test(arguments: ["progan-d5-l24", "stylegan-32"])
    func keptStreamedScalesStayIntact(_ name: String) throws {
        let model = try WorkspacePlanTests.model(name)
        let want = try Self.reference(model, options: RenderOptions())
        let renderer = Renderer(model: model, batch: 4, threads: 2, perImageFloats: 1)
        var kept: [[Tensor]] = []
        try renderer.render(seeds: Self.seeds) { _, scales in kept.append(scales) }
        for i in Self.seeds.indices {
            for s in model.resolutions.indices { #expect(kept[i][s] == want[i][s], "seed \(Self.seeds[i]) scale \(s)") }
        }
    }
}
