import Foundation
import Testing
@testable import MSGGen
import MSGTensor
import MSGWeights

/// End-to-end parity with tools/reference/stylegan.py (float64 numpy; the fused
/// up-conv there is upstream's true stride-2 transposed conv, so these tests also
/// pin SEMANTICS.md's flipped-kernel rule).
///
/// Tolerance: |a - b| <= 2e-4 * (1 + |b|). Random weights give raw outputs up to
/// |x| ~ 35, and instance norm divides by per-channel deviations that float32
/// rounding perturbs; a float32 run of the reference itself stays within 1.6e-5
/// of float64 by that measure (Fixtures/README.md), the engine within the figure
/// each test prints.
let styleGANTolerance: Float = 2e-4

func relativeError(_ got: [Float], _ want: [Float]) -> Float {
    precondition(got.count == want.count)
    var m: Float = 0
    for i in got.indices {
        let e = abs(got[i] - want[i]) / (1 + abs(want[i]))
        if e.isNaN { return .infinity }
        m = max(m, e)
    }
    return m
}

struct StyleCase: Sendable, CustomTestStringConvertible {
    var model: String, id: String, seed: UInt32, psi: Double?, cutoff: Int?, noise: NoiseMode, noiseSeed: UInt32
    var testDescription: String { "\(model) \(id)" }
}

struct MixCase: Sendable, CustomTestStringConvertible {
    var model: String, id: String, row: UInt32, col: UInt32, layers: [Int], psi: Double?, cutoff: Int?
    var testDescription: String { "\(model) \(id)" }
}

enum StyleFixtures {
    static let models = ["stylegan-32", "stylegan-64-fused", "stylegan-128-auto"]

    /// The cases a fixture lists under `key`. Test arguments are built before any
    /// test runs, so a fixture that fails to load cannot throw here: it yields no
    /// cases and its error is kept in `loadErrors`, which `fixturesCoverEveryMode`
    /// requires to be empty (with a minimum number of cases per model).
    static func list(_ key: String, _ model: String) -> [[String: Any]] {
        do {
            let f = try Golden.expected(model)
            guard let v = try Golden.metadataJSON(f, key) as? [[String: Any]] else {
                throw Golden.FixtureError.missing("\(model): \(key) is not a list of objects")
            }
            return v
        } catch {
            return []
        }
    }

    /// Why each (key, model) list failed to load; empty when all loaded.
    static var loadErrors: [String] {
        (models + flagModels).flatMap { m in ["cases", "mix_cases"].compactMap { key -> String? in
            do {
                guard try Golden.metadataJSON(try Golden.expected(m), key) is [[String: Any]] else { return "\(m) \(key): not a list" }
                return nil
            } catch {
                return "\(m) \(key): \(error)"
            }
        } }
    }

    /// Renders case `c` (first in a batch with `batchMates`) and compares w and
    /// every scale with the expected file; returns the worst relative error.
    static func check(_ c: StyleCase, batchMates: [UInt32] = []) throws -> Float {
        let model = try Model.load(path: Golden.path("\(c.model).safetensors"))
        let expected = try Golden.expected(c.model)
        let opts = RenderOptions(psi: c.psi, cutoff: c.cutoff, noise: c.noise, noiseSeed: c.noiseSeed)
        let renderer = Renderer(model: model, batch: 1 + batchMates.count, threads: 2)
        let w = try renderer.dlatents(seed: c.seed, options: opts)
        #expect(relativeError(w, try expected.floats("w/\(c.id)")) < 1e-5, "w")
        let out = try renderer.forward(seeds: [c.seed] + batchMates, options: opts)
        var worst: Float = 0
        for (s, r) in model.resolutions.enumerated() {
            let e = relativeError(out[s].slice(0).data, try expected.floats("out/\(c.id)/\(r)"))
            worst = max(worst, e)
            #expect(e < styleGANTolerance, "\(r)x\(r): error \(e)")
        }
        return worst
    }

    /// Mixes case `c`'s row and column seeds and compares every scale with the expected file.
    static func checkMix(_ c: MixCase) throws {
        let model = try Model.load(path: Golden.path("\(c.model).safetensors"))
        let expected = try Golden.expected(c.model)
        let renderer = Renderer(model: model, batch: 3, threads: 2)
        var got: [Tensor] = []
        var calls = 0
        try renderer.mix(rows: [c.row], cols: [c.col], layers: c.layers,
                         options: RenderOptions(psi: c.psi, cutoff: c.cutoff)) { _, _, s in got = s; calls += 1 }
        try #require(calls == 1 && got.count == model.resolutions.count, "the cell callback ran \(calls) times")
        for (s, r) in model.resolutions.enumerated() {
            let e = relativeError(got[s].data, try expected.floats("mix/\(c.id)/\(r)"))
            #expect(e < styleGANTolerance, "\(r)x\(r): error \(e)")
        }
    }

    /// What the fixtures hold today (tools/reference/make_fixtures.py): a fixture
    /// silently losing its cases fails `fixturesCoverEveryMode`.
    static let minimumCases = ["stylegan-32": (cases: 4, mixes: 2), "stylegan-64-fused": (cases: 0, mixes: 1),
                               "stylegan-128-auto": (cases: 1, mixes: 0),
                               "stylegan-16-flags-a": (cases: 2, mixes: 1), "stylegan-16-flags-b": (cases: 2, mixes: 0)]

    static func seed(_ v: Any?) -> UInt32 { UInt32((v as! NSNumber).uint64Value) }

    /// Models with non-default config flags (StyleGANFlagGoldenTests).
    static let flagModels = ["stylegan-16-flags-a", "stylegan-16-flags-b"]

    static var cases: [StyleCase] { cases(of: models) }
    static var mixes: [MixCase] { mixes(of: models) }

    static func cases(of models: [String]) -> [StyleCase] {
        models.flatMap { m in list("cases", m).map { c in
            StyleCase(model: m, id: c["id"] as! String, seed: seed(c["seed"]),
                      psi: (c["psi"] as? NSNumber)?.doubleValue, cutoff: (c["cutoff"] as? NSNumber)?.intValue,
                      noise: NoiseMode(rawValue: c["noise"] as! String)!,
                      noiseSeed: (c["noise_seed"] as? NSNumber).map { UInt32($0.uint64Value) } ?? 0)
        } }
    }

    static func mixes(of models: [String]) -> [MixCase] {
        models.flatMap { m in list("mix_cases", m).map { c in
            MixCase(model: m, id: c["id"] as! String, row: seed(c["row_seed"]), col: seed(c["col_seed"]),
                    layers: (c["layers"] as! [NSNumber]).map(\.intValue),
                    psi: (c["psi"] as? NSNumber)?.doubleValue, cutoff: (c["cutoff"] as? NSNumber)?.intValue)
        } }
    }
}

@Suite struct StyleGANGoldenTests {
    @Test func fixturesCoverEveryMode() {
        #expect(StyleFixtures.loadErrors.isEmpty, "\(StyleFixtures.loadErrors)")
        for (m, n) in StyleFixtures.minimumCases {
            #expect(StyleFixtures.cases(of: [m]).count >= n.cases, "\(m) cases")
            #expect(StyleFixtures.mixes(of: [m]).count >= n.mixes, "\(m) mix cases")
        }
        let cases = StyleFixtures.cases
        #expect(Set(cases.map(\.noise)) == Set(NoiseMode.allCases))
        #expect(cases.contains { $0.psi == 1 } && cases.contains { ($0.psi ?? 1) != 1 })
        #expect(StyleFixtures.mixes.count >= 3)
    }

    @Test(arguments: StyleFixtures.cases)
    func matchesReference(_ c: StyleCase) throws {
        let worst = try StyleFixtures.check(c)
        print("\(c.model) \(c.id): worst relative error \(worst)")
    }

    @Test(arguments: StyleFixtures.mixes)
    func mixingMatchesReference(_ c: MixCase) throws {
        try StyleFixtures.checkMix(c)
    }

    /// imageByImage: the large-activation schedule (layers from the first
    /// up-conv on run image by image) on these small models: fused and plain
    /// up-convs with the blur, and a random model without blur (its up-convs
    /// take the other epilogue branch).
    @Test(arguments: ["stylegan-64-fused", "stylegan-32", "no-blur"], [false, true])
    func batchingNeverChangesAnImage(name: String, imageByImage: Bool) throws {
        let model: Model
        if name == "no-blur" {
            var c = StyleGANConfig(resolution: 32)
            c.fmapBase = 64; c.fmapMax = 8; c.latentSize = 16; c.dlatentSize = 16; c.mappingFmaps = 16; c.blurFilter = []
            model = try Model(file: RandomModels.styleGAN(c, name: name))
        } else {
            model = try Model.load(path: Golden.path("\(name).safetensors"))
        }
        let seeds: [UInt32] = [3, 1, 4_294_967_295]
        for noise in NoiseMode.allCases {
            let opts = RenderOptions(noise: noise, noiseSeed: 9)
            let together = try Renderer(model: model, batch: 3, threads: 2,
                                        perImageFloats: imageByImage ? 1 : WorkspacePlan.defaultPerImageFloats)
                .forward(seeds: seeds, options: opts)
            for (i, seed) in seeds.enumerated() {
                let alone = try Renderer(model: model, batch: 1, threads: 1).forward(seeds: [seed], options: opts)
                for s in model.resolutions.indices {
                    #expect(alone[s].slice(0).data == together[s].slice(i).data, "\(noise) seed \(seed) scale \(s)")
                }
            }
        }
    }

    @Test func styleNamesResolvePerModel() throws {
        let m32 = try Model.load(path: Golden.path("stylegan-32.safetensors"))   // 8 layers
        #expect(try m32.styleLayers("coarse") == [0, 1, 2, 3])
        #expect(try m32.styleLayers("middle") == [4, 5, 6, 7])
        #expect(try m32.styleLayers("0-1,5") == [0, 1, 5])
        #expect(throws: GenError.self) { try m32.styleLayers("fine") }      // 8..7: no such layers
        #expect(throws: GenError.self) { try m32.styleLayers("3-9") }
        #expect(throws: GenError.self) { try m32.styleLayers("x") }
        let m128 = try Model.load(path: Golden.path("stylegan-128-auto.safetensors"))   // 12 layers
        #expect(try m128.styleLayers("fine") == Array(8...11))
        let pro = try Model.load(path: Golden.path("progan-d3-l16.safetensors"))
        #expect(throws: GenError.self) { try pro.styleLayers("coarse") }
        #expect(throws: GenError.self) {
            try Renderer(model: pro).mix(rows: [1], cols: [2], layers: [0], options: RenderOptions()) { _, _, _ in }
        }
    }

    @Test func randomNoiseFollowsTheDocumentedRule() {
        // Fixtures/README.md pins RandomState([7, 4294967295]).randn(4).
        let n = StyleNoise.draw(noiseSeed: 7, seed: 4_294_967_295, resolutions: [4])
        let want: [Double] = [-0.7386693463801174, -0.48189494353404305, -1.4077875409257437, 0.19563112798696589]
        #expect(Array(n[0].prefix(4)) == want.map { Float($0) })
    }
}
