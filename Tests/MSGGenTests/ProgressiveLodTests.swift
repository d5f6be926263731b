import Foundation
import Testing
@testable import MSGGen
import MSGTensor
import MSGWeights

/// StyleGAN v1 snapshots saved mid progressive growing (tools/upstream/
/// make_tf_pickle_fixture.py: stylegan-32 with Gs `lod` = G_synthesis/lod = 1.5).
/// The full-resolution output must be upstream's G_synthesis output at that
/// lod (tools/reference/stylegan.py progressive_output, float64), the smaller
/// outputs each block's own to-RGB. Tolerance: the golden StyleGAN one.
@Suite struct ProgressiveLodTests {
    static let lodPickle = Golden.path("upstream/stylegan-32-lod1.5.pkl")

    @Test func snapshotRecordsItsLevel() throws {
        let m = try ModelFile.open(path: Self.lodPickle)
        let lod = try #require(m.progressiveLod)
        #expect(lod.stored == 1.5 && lod.tensor == "lod" && lod.applied && lod.effective == 1.5)
        // The finished fixture stores lod 0: nothing changes.
        #expect(try ModelFile.open(path: Golden.path("upstream/stylegan-32.pkl")).progressiveLod?.effective == 0)
    }

    @Test(arguments: StyleFixtures.cases.filter { $0.model == "stylegan-32" })
    func fullResolutionIsUpstreamsBlendAtLod(_ c: StyleCase) throws {
        let model = try Model.load(path: Self.lodPickle)
        let expected = try Golden.expected("upstream/stylegan-32-lod1.5")
        let finished = try Golden.expected("stylegan-32")
        let opts = RenderOptions(psi: c.psi, cutoff: c.cutoff, noise: c.noise, noiseSeed: c.noiseSeed)
        let out = try Renderer(model: model, batch: 1, threads: 2).forward(seeds: [c.seed], options: opts)
        let top = model.resolutions.count - 1
        let e = relativeError(out[top].slice(0).data, try expected.floats("out/\(c.id)/32"))
        #expect(e < styleGANTolerance, "\(c.id) 32x32 at lod 1.5: \(e)")
        // Without the lod rule the 32x32 output would be the finished network's: far off.
        #expect(relativeError(out[top].slice(0).data, try finished.floats("out/\(c.id)/32")) > 0.01)
        for (s, r) in model.resolutions.enumerated().dropLast() {
            let es = relativeError(out[s].slice(0).data, try finished.floats("out/\(c.id)/\(r)"))
            #expect(es < styleGANTolerance, "\(c.id) \(r)x\(r): \(es)")
        }
    }

    /// Whole levels are one block's to-RGB repeated; 0 < lod < 1 blends the
    /// full-resolution output with the half-resolution one in place.
    @Test func wholeAndSmallLevelsFollowTheRule() throws {
        let a = Tensor(shape: [1, 3, 4, 4], data: (0..<48).map { Float($0) })
        let b = Tensor(shape: [1, 3, 8, 8], data: (0..<192).map { Float($0) * 0.5 })
        let c = Tensor(shape: [1, 3, 16, 16], data: (0..<768).map { -Float($0) })
        func run(_ lod: Float) -> Tensor {
            var outs = [a, b, c]
            StyleGANGenerator.applyProgressiveLod(lod, to: &outs)
            #expect(outs[0] == a && outs[1] == b)
            return outs[2]
        }
        #expect(run(0) == c)
        // lod 1: the 8x8 output, each pixel repeated 2x2.
        let one = run(1)
        for ch in 0..<3 { for y in 0..<16 { for x in 0..<16 {
            #expect(one.data[ch * 256 + y * 16 + x] == b.data[ch * 64 + (y / 2) * 8 + x / 2])
        } } }
        // lod 0.25: c + (up(b) - c) * 0.25, in float32.
        let q = run(0.25)
        for ch in 0..<3 { for y in 0..<16 { for x in 0..<16 {
            let cv = c.data[ch * 256 + y * 16 + x], bv = b.data[ch * 64 + (y / 2) * 8 + x / 2]
            #expect(q.data[ch * 256 + y * 16 + x] == cv + (bv - cv) * 0.25)
        } } }
        // lod 2 (the top level of a 16 px model): lerp(8x8, up(4x4), 1), repeated 2x2.
        let two = run(2)
        for ch in 0..<3 { for y in 0..<16 { for x in 0..<16 {
            let bv = b.data[ch * 64 + (y / 2) * 8 + x / 2], av = a.data[ch * 16 + (y / 4) * 4 + x / 4]
            #expect(two.data[ch * 256 + y * 16 + x] == bv + (av - bv) * 1)
        } } }
    }

    /// Every path that renders (batches, mixing) gets the same rule: a batch
    /// of two equals the single renders.
    @Test func batchesAndSingleRendersAgree() throws {
        let model = try Model.load(path: Self.lodPickle)
        let both = try Renderer(model: model, batch: 2, threads: 2).forward(seeds: [3, 9])
        let one = try Renderer(model: model, batch: 1, threads: 1).forward(seeds: [9])
        #expect(both.last!.slice(1) == one.last!.slice(0))
    }
}
