import Foundation
import Testing
@testable import MSGGen
import MSGTensor

/// Latent walks against tools/reference/walk.py (Fixtures/walk.json, written by
/// tools/reference/make_walk_fixtures.py) and against single renders.
///
/// Latent tolerance: 1e-12 absolute on values of magnitude <= ~4. numpy's
/// arccos/sin/exp and its BLAS dot may round differently from glibc's and from
/// in-order sums (a few ulps, ~1e-15); 1e-12 leaves room and still fails any
/// wrong formula, wrong t or wrong kernel tap by orders of magnitude.
/// Rendered frames use the golden tests' tolerances (float32 engine vs float64).
let latentTolerance = 1e-12

enum WalkFixture {
    static var doc: [String: Any] {
        let data = try! Data(contentsOf: Golden.directory.appendingPathComponent("walk.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func list(_ key: String) -> [[String: Any]] { doc[key] as! [[String: Any]] }
    static func doubles(_ v: Any?) -> [Double] { (v as! [NSNumber]).map(\.doubleValue) }
    static func seed(_ v: Any?) -> UInt32 { UInt32((v as! NSNumber).uint64Value) }
}

func maxAbsError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0.isNaN ? .infinity : $0 } ?? 0
}

@Suite struct LatentWalkTests {
    @Test func interpolationMatchesNumpy() {
        let cases = WalkFixture.list("interp")
        #expect(cases.count >= 4)
        for c in cases {
            let l = (c["latent_size"] as! NSNumber).intValue
            let a = Latents.gaussian(seed: WalkFixture.seed(c["a"]), count: l)
            let b = Latents.gaussian(seed: WalkFixture.seed(c["b"]), count: l)
            let rule = Interpolation(rawValue: c["rule"] as! String)!
            let got = LatentMath.interpolate(rule, a, b, t: (c["t"] as! NSNumber).doubleValue)
            let err = maxAbsError(got, WalkFixture.doubles(c["z"]))
            #expect(err <= latentTolerance, "\(c["id"]!): max abs error \(err)")
        }
    }

    @Test func slerpDegenerateCasesMatchNumpy() {
        for c in WalkFixture.list("special") {
            let rule = Interpolation(rawValue: c["rule"] as! String)!
            let got = LatentMath.interpolate(rule, WalkFixture.doubles(c["a"]), WalkFixture.doubles(c["b"]), t: (c["t"] as! NSNumber).doubleValue)
            #expect(maxAbsError(got, WalkFixture.doubles(c["z"])) <= latentTolerance, "\(c["id"]!)")
        }
        // Parallel vectors: slerp is exactly linear (the Ω < 1e-8 rule).
        let a = [1.0, 2, 3], b = [2.0, 4, 6]
        #expect(LatentMath.slerp(a, b, t: 0.25) == LatentMath.linear(a, b, t: 0.25))
    }

    @Test func slerpKeepsTheNormOfEqualNormVectors() {
        let a = [3.0, 0, 0, 0], b = [0.0, 0, 3, 0]
        for t in [0.1, 0.5, 0.9] { #expect(abs(LatentMath.norm(LatentMath.slerp(a, b, t: t)) - 3) < 1e-14) }
        #expect(abs(LatentMath.norm(LatentMath.linear(a, b, t: 0.5)) - 3 / 2.0.squareRoot()) < 1e-14)
    }

    @Test func randomWalkMatchesScipyGaussianFilter() throws {
        let cases = WalkFixture.list("random_walks")
        #expect(cases.count >= 4)
        for c in cases {
            let frames = (c["frames"] as! NSNumber).intValue, l = (c["latent_size"] as! NSNumber).intValue
            let got = try RandomWalk.latents(seed: WalkFixture.seed(c["seed"]), frames: frames, latentSize: l,
                                             sigma: (c["sigma"] as! NSNumber).doubleValue)
            let want = (c["z"] as! [Any]).map(WalkFixture.doubles)
            #expect(got.count == frames)
            let err = zip(got, want).map { maxAbsError($0, $1) }.max()!
            #expect(err <= latentTolerance, "\(c["id"]!): max abs error \(err)")
        }
    }

    @Test func randomWalkRejectsBadParameters() {
        #expect(throws: GenError.self) { try RandomWalk.latents(seed: 0, frames: 0, latentSize: 4, sigma: 1) }
        #expect(throws: GenError.self) { try RandomWalk.latents(seed: 0, frames: 4, latentSize: 4, sigma: .nan) }
        #expect(throws: GenError.self) { try RandomWalk.latents(seed: 0, frames: 4, latentSize: 4, sigma: -1) }
        #expect(throws: GenError.self) { try RandomWalk.latents(seed: 0, frames: 1 << 20, latentSize: 512, sigma: 1) }
        #expect(throws: GenError.self) { try RandomWalk.latents(seed: 0, frames: 10_000, latentSize: 512, sigma: 1000) }
    }

    @Test func frameCountsAndPositions() throws {
        let keys = [[1.0], [2.0], [3.0]]
        let open = try LatentWalk(keyframes: keys, noiseSeeds: [5, 6, 7], framesPerSegment: 4)
        #expect(open.frameCount == 9)
        #expect(open.position(0) == (0, 1, 0) && open.position(4) == (1, 2, 0) && open.position(8) == (2, 2, 0))
        #expect(open.position(5) == (1, 2, 1))
        #expect(open.noiseSeed(3) == 5 && open.noiseSeed(4) == 6 && open.noiseSeed(8) == 7)
        let loop = try LatentWalk(keyframes: keys, noiseSeeds: [5, 6, 7], framesPerSegment: 4, loop: true)
        #expect(loop.frameCount == 12)
        #expect(loop.position(11) == (2, 0, 3))
        #expect(loop.vector(8, keys: keys) == [3.0])
        #expect(abs(loop.vector(10, keys: keys)[0] - 2) < 1e-15)  // halfway back from 3 to 1 (linear for one dimension)
    }

    @Test func walkRejectsBadShapes() {
        #expect(throws: GenError.self) { try LatentWalk(keyframes: [[1.0]], noiseSeeds: [1], framesPerSegment: 4) }
        #expect(throws: GenError.self) { try LatentWalk(keyframes: [[1.0], [2.0]], noiseSeeds: [1, 2], framesPerSegment: 0) }
        #expect(throws: GenError.self) { try LatentWalk(keyframes: [[1.0], [2.0, 3.0]], noiseSeeds: [1, 2], framesPerSegment: 2) }
        #expect(throws: GenError.self) { try LatentWalk(keyframes: [[1.0], [2.0]], noiseSeeds: [1], framesPerSegment: 2) }
        #expect(throws: GenError.self) { try LatentWalk(keyframes: [[1.0], [2.0]], noiseSeeds: [1, 2], framesPerSegment: LatentWalk.maxFrames) }
        #expect(throws: GenError.self) { try LatentWalk(keyframes: [[1.0], [2.0]], noiseSeeds: [1, 2], framesPerSegment: Int.max) }
    }

    // MARK: - Rendered frames

    static func walk(_ model: Model, seeds: [UInt32], n: Int, space: LatentSpace, rule: Interpolation, loop: Bool = false) throws -> LatentWalk {
        try LatentWalk(keyframes: seeds.map { Latents.gaussian(seed: $0, count: model.latentSize) }, noiseSeeds: seeds,
                       framesPerSegment: n, loop: loop, space: space, interpolation: rule)
    }

    static func frames(_ renderer: Renderer, _ walk: LatentWalk, _ options: RenderOptions) throws -> [[Tensor]] {
        var out: [[Tensor]] = []
        try renderer.render(walk: walk, options: options) { i, scales in
            #expect(i == out.count)
            out.append(scales)
        }
        return out
    }

    @Test(arguments: ["stylegan-32", "progan-d3-l16"])
    func intermediateFramesMatchNumpy(_ name: String) throws {
        let model = try Model.load(path: Golden.path("\(name).safetensors"))
        let expected = try Golden.expected("walk")
        let spec = (WalkFixture.doc["frames"] as! [String: Any])[name] as! [String: Any]
        let seeds = (spec["keys"] as! [NSNumber]).map { UInt32($0.uint64Value) }
        let n = (spec["n"] as! NSNumber).intValue
        let cases = spec["cases"] as! [[String: Any]]
        #expect(cases.count >= 2)
        var worst: Float = 0
        for c in cases {
            let space = LatentSpace(rawValue: c["space"] as! String)!, rule = Interpolation(rawValue: c["rule"] as! String)!
            let opts = model.family == .msgStyleGAN
                ? RenderOptions(psi: (c["psi"] as! NSNumber).doubleValue, cutoff: (c["cutoff"] as! NSNumber).intValue) : RenderOptions()
            let frames = try Self.frames(Renderer(model: model, batch: 3, threads: 2), Self.walk(model, seeds: seeds, n: n, space: space, rule: rule), opts)
            let f = (c["frame"] as! NSNumber).intValue
            for (s, r) in model.resolutions.enumerated() {
                let want = try expected.floats("\(name)/\(c["id"]!)/\(r)")
                let err = model.family == .msgStyleGAN ? relativeError(frames[f][s].data, want) : maxAbsError(frames[f][s].data, want)
                worst = max(worst, err)
                #expect(err < (model.family == .msgStyleGAN ? styleGANTolerance : proGANTolerance), "\(c["id"]!) at \(r): \(err)")
            }
        }
        print("\(name) walk frames: worst error \(worst)")
    }

    @Test(arguments: [
        ("stylegan-32", LatentSpace.z, Interpolation.slerp, RenderOptions(psi: 0.7, cutoff: 8)),
        ("stylegan-32", .w, .linear, RenderOptions()),
        ("stylegan-32", .w, .slerp, RenderOptions(psi: 0.5, cutoff: 3, noise: .random, noiseSeed: 9)),
        ("stylegan-32", .z, .linear, RenderOptions(noise: .random, noiseSeed: 3)),
        ("progan-d3-l16", .z, .slerp, RenderOptions()),
    ])
    func keyframesEqualSingleRendersBitForBit(_ name: String, _ space: LatentSpace, _ rule: Interpolation, _ opts: RenderOptions) throws {
        let model = try Model.load(path: Golden.path("\(name).safetensors"))
        let seeds: [UInt32] = [42, 1, 4294967295]
        let n = 3
        let frames = try Self.frames(Renderer(model: model, batch: 4, threads: 2),
                                     Self.walk(model, seeds: seeds, n: n, space: space, rule: rule, loop: true), opts)
        #expect(frames.count == 9)
        let single = Renderer(model: model, batch: 1, threads: 1)
        for (j, s) in seeds.enumerated() {
            let alone = try single.forward(seeds: [s], options: opts)
            for k in alone.indices { #expect(frames[j * n][k].data == alone[k].slice(0).data, "keyframe \(j) scale \(k)") }
        }
        // Intermediate frames differ from both ends.
        #expect(frames[1].last!.data != frames[0].last!.data && frames[1].last!.data != frames[3].last!.data)
    }

    @Test func givenZOfASeedRendersTheSeed() throws {
        for name in ["stylegan-32", "progan-d3-l16"] {
            let model = try Model.load(path: Golden.path("\(name).safetensors"))
            let r = Renderer(model: model, batch: 2, threads: 2)
            let z = [Latents.gaussian(seed: 42, count: model.latentSize), Latents.gaussian(seed: 7, count: model.latentSize)]
            let a = try r.forward(z: z, noiseSeeds: [42, 7]), b = try r.forward(seeds: [42, 7])
            #expect(a.map(\.data) == b.map(\.data))
        }
    }

    @Test func givenDlatentsRoundTripTruncation() throws {
        let model = try Model.load(path: Golden.path("stylegan-32.safetensors"))
        let r = Renderer(model: model, batch: 1, threads: 1)
        let opts = RenderOptions(psi: 0.7, cutoff: 3)
        let w = try r.dlatents(seed: 42, options: opts)
        // Already-truncated dlatents given back with psi 1 render the seed's image.
        let again = try r.dlatents(w: w, options: RenderOptions(psi: 1))
        #expect(again == w)
        let a = try r.synthesize(dlatents: again, noiseSeeds: [42], options: opts)
        #expect(a.map(\.data) == (try r.forward(seeds: [42], options: opts)).map(\.data))
        // One w for every layer, truncated here, equals the seed's truncated dlatents.
        let w1 = try r.mapping(z: Latents.gaussian(seed: 42, count: model.latentSize))
        #expect(try r.dlatents(w: w1, options: opts) == w)
        // [layers, d] truncated here equals the broadcast form.
        let full = try r.dlatents(w: w1, options: RenderOptions(psi: 1))
        #expect(try r.dlatents(w: full, options: opts) == w)
        #expect(throws: GenError.self) { try r.dlatents(w: [1, 2, 3], options: opts) }
    }
}
