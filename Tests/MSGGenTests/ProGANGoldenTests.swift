import Foundation
import Testing
@testable import MSGGen
import MSGTensor
import MSGWeights

/// End-to-end parity with tools/reference/progan.py (float64 numpy).
///
/// Tolerance: 2e-4 absolute on raw outputs of magnitude ~1. The engine runs in
/// float32 (as upstream PyTorch does); each output accumulates at most a few
/// thousand products per layer over <= 9 layers, and PixelNorm re-normalises
/// after every conv, so float32 rounding stays near 1e-5 (measured worst case is
/// printed by the test). 2e-4 is still 1/40 of an 8-bit pixel step (2/255).
let proGANTolerance: Float = 2e-4

@Suite struct ProGANGoldenTests {
    static let models = ["progan-d1-l8", "progan-d3-l16", "progan-d5-l24", "progan-d6-l32"]

    @Test(arguments: models)
    func matchesReferenceAtEveryScale(_ name: String) throws {
        let model = try Model.load(path: Golden.path("\(name).safetensors"))
        let expected = try Golden.expected(name)
        let seeds = (try Golden.metadataJSON(expected, "seeds") as! [NSNumber]).map { UInt32($0.uint64Value) }
        #expect(!seeds.isEmpty)
        let renderer = Renderer(model: model, batch: 3, threads: 2)
        var worst: Float = 0
        var rendered = 0
        try renderer.render(seeds: seeds) { i, scales in
            rendered += 1
            #expect(scales.count == model.resolutions.count)
            for (s, r) in model.resolutions.enumerated() {
                let want = try expected.floats("out/seed\(seeds[i])/\(r)")
                #expect(scales[s].shape == [3, r, r])
                let err = maxAbsError(scales[s].data, want)
                worst = max(worst, err)
                #expect(err < proGANTolerance, "seed \(seeds[i]) at \(r)x\(r): max abs error \(err)")
            }
        }
        #expect(rendered == seeds.count, "the callback ran \(rendered) times for \(seeds.count) seeds")
        print("\(name): worst abs error \(worst)")
    }

    @Test(arguments: models)
    func latentIsTheReferenceHypersphereDraw(_ name: String) throws {
        let model = try Model.load(path: Golden.path("\(name).safetensors"))
        let expected = try Golden.expected(name)
        for seed in (try Golden.metadataJSON(expected, "seeds") as! [NSNumber]).map({ UInt32($0.uint64Value) }) {
            let want = try expected.floats("z/seed\(seed)")
            // Draw bit-exact (RandomStateTests); the norm may differ from numpy's
            // BLAS dot by an ulp, hence 1e-6 rather than equality.
            #expect(maxAbsError(model.latent(seed: seed), want) < 1e-6)
        }
    }

    /// SEMANTICS.md: a grid cell equals the single-seed render bit for bit,
    /// whatever it is batched with and wherever it sits in the batch.
    @Test(arguments: [false, true])
    func batchingNeverChangesAnImage(imageByImage: Bool) throws {
        // imageByImage: the large-activation schedule (blocks from 8x8 on run
        // image by image) on this small model.
        let model = try Model.load(path: Golden.path("progan-d5-l24.safetensors"))
        let seeds: [UInt32] = [7, 42, 0, 4_294_967_295, 99]
        let batched = Renderer(model: model, batch: 5, threads: 2,
                               perImageFloats: imageByImage ? 1 : WorkspacePlan.defaultPerImageFloats)
        var together: [[Tensor]] = []
        try batched.render(seeds: seeds) { _, s in together.append(s) }
        try #require(together.count == seeds.count)
        for (i, seed) in seeds.enumerated() {
            for threads in [1, 2] {
                let alone = Renderer(model: model, batch: 1, threads: threads)
                let single = try alone.forward(seeds: [seed])
                for s in model.resolutions.indices {
                    #expect(single[s].slice(0).data == together[i][s].data, "seed \(seed) scale \(s) threads \(threads)")
                }
            }
        }
    }
}

/// A renderer hands its output tensors to the next pass of the same size:
/// tensors a caller still holds keep their pixels (copy-on-write), and the
/// next pass's pixels do not depend on what the buffers held before.
@Test(arguments: ["progan-d5-l24", "stylegan-32"])
func reusedOutputsKeepEachPassIntact(_ name: String) throws {
    let model = try Model.load(path: Golden.path("\(name).safetensors"))
    let renderer = Renderer(model: model, batch: 2, threads: 2)
    let held = try renderer.forward(seeds: [5, 6])
    let heldCopy = held.map { Tensor(shape: $0.shape, data: Array($0.data)) }
    _ = try renderer.forward(seeds: [7, 8])          // released: its buffers are reused next
    let next = try renderer.forward(seeds: [9, 5])   // same size: reuses them
    for s in held.indices { #expect(held[s] == heldCopy[s], "held scale \(s) changed") }
    let fresh = try Renderer(model: model, batch: 2, threads: 2).forward(seeds: [9, 5])
    for s in next.indices {
        #expect(next[s] == fresh[s], "scale \(s) differs from a fresh renderer")
        #expect(next[s].slice(1) == held[s].slice(0), "seed 5 at scale \(s) differs between passes")
    }
}
