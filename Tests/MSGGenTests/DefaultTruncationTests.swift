import Foundation
import Testing
@testable import MSGGen
import MSGTensor
import MSGWeights

/// README: `--psi`/`--cutoff` default to the model's truncation (upstream 0.7 on
/// layers 0-7). That is the path behind `msg-gen --seed 42 --grid 16` on the
/// default model, and every golden case passes psi explicitly; here nothing is
/// passed, and the result must match tools/reference/stylegan.py run with the
/// file's `truncation_psi` / `truncation_cutoff` (the `s42-psi0.7-c8-const` cases).
@Suite struct DefaultTruncationTests {
    @Test(arguments: ["stylegan-32", "stylegan-128-auto"])
    func noOptionsMatchTheReferenceWithTheFilesTruncation(_ name: String) throws {
        let model = try Model.load(path: Golden.path("\(name).safetensors"))
        guard case .styleGAN(let cfg) = model.file.config else { Issue.record("not a StyleGAN"); return }
        #expect(cfg.truncationPsi == 0.7 && cfg.truncationCutoff == 8)   // what the reference case used
        let expected = try Golden.expected(name)
        let id = "s42-psi0.7-c8-const"
        let renderer = Renderer(model: model, batch: 2, threads: 2)
        let w = try renderer.dlatents(seed: 42, options: RenderOptions())
        #expect(relativeError(w, try expected.floats("w/\(id)")) < 1e-5, "w")
        let out = try renderer.forward(seeds: [42, 7])   // default options, in a batch
        for (s, r) in model.resolutions.enumerated() {
            let e = relativeError(out[s].slice(0).data, try expected.floats("out/\(id)/\(r)"))
            #expect(e < styleGANTolerance, "\(r)x\(r): error \(e)")
        }
    }

    /// The shipped default model: no options = its own psi and cutoff, bit for
    /// bit, and not the untruncated picture.
    @Test func theDefaultModelTruncatesByDefault() throws {
        let root = Golden.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let manifest = try String(contentsOf: root.appendingPathComponent("weights/DEFAULT"), encoding: .utf8)
        let model = try Model.load(path: root.appendingPathComponent("weights").appendingPathComponent(
            manifest.trimmingCharacters(in: .whitespacesAndNewlines)).path)
        guard case .styleGAN(let cfg) = model.file.config else { Issue.record("the default model is not a StyleGAN"); return }
        let psi = try #require(cfg.truncationPsi), cutoff = try #require(cfg.truncationCutoff)
        #expect(psi == 0.7 && cutoff == 8)
        let renderer = Renderer(model: model, batch: 1, threads: 2)
        let byDefault = try renderer.forward(seeds: [42]).last!
        let explicit = try renderer.forward(seeds: [42], options: RenderOptions(psi: psi, cutoff: cutoff)).last!
        let untruncated = try renderer.forward(seeds: [42], options: RenderOptions(psi: 1)).last!
        #expect(byDefault == explicit)
        #expect(byDefault != untruncated)
        // Only layers below the cutoff move: cutoff 0 is no truncation.
        let cut0 = try renderer.forward(seeds: [42], options: RenderOptions(psi: psi, cutoff: 0)).last!
        #expect(cut0 == untruncated)
    }
}
