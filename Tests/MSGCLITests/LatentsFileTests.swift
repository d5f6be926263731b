import ArgumentParser
import Foundation
import Testing
@testable import MSGCLI
import MSGGen
import MSGImage
import MSGRender
import MSGTensor
import MSGWeights

/// A file's bytes (tests of this target share it).
func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

@Suite struct LatentsFileTests {
    static func raw(_ dir: String, model: String, args: [String]) throws -> [[UInt8]] {
        let out = "\(dir)/o-\(UUID().uuidString)"
        try runCLI(["--weights", fixture(model), "--format", "npy", "--scales", "all", "--quiet", "--out", out] + args)
        return try FileManager.default.contentsOfDirectory(atPath: out).sorted().map { try read("\(out)/\($0)") }
    }

    @Test(arguments: ["stylegan-32", "progan-d3-l16"])
    func savedLatentsRenderTheSameBits(_ model: String) throws {
        try inTemporaryDirectory { dir in
            let opts = model == "stylegan-32" ? ["--psi", "0.6", "--cutoff", "3", "--noise", "random", "--noise-seed", "0"] : []
            // Seeds 0 and 1: with --noise random a file's vector i draws noise seed i, as seed i does.
            let bySeed = try Self.raw(dir, model: model, args: ["--seeds", "0,1", "--save-latents", "\(dir)/l.npz"] + opts)
            let byZ = try Self.raw(dir, model: model, args: ["--latents", "\(dir)/l.npz"] + opts)
            #expect(byZ == bySeed)
            if model == "stylegan-32" {
                // w as rendered (truncated): given back without --psi, the same images.
                let byW = try Self.raw(dir, model: model, args: ["--dlatents", "\(dir)/l.npz", "--noise", "random", "--noise-seed", "0"])
                #expect(byW == bySeed)
            }
            let l = try LatentsFile.z(LatentsFile.load(path: "\(dir)/l.npz"), source: "l", model: Model.load(path: fixture(model)))
            #expect(l.count == 2 && l[1] == Latents.gaussian(seed: 1, count: l[1].count))
        }
    }

    @Test func savingFromGivenWWritesOnlyW() throws {
        try inTemporaryDirectory { dir in
            let src = fixtures.appendingPathComponent("latents-stylegan-32.npz").path
            let a = try Self.raw(dir, model: "stylegan-32", args: ["--dlatents", src, "--save-latents", "\(dir)/w.npz"])
            let b = try Self.raw(dir, model: "stylegan-32", args: ["--dlatents", "\(dir)/w.npz"])
            #expect(a == b)
            let model = try Model.load(path: fixture("stylegan-32"))
            #expect(throws: LatentsError.missingKey(file: "w.npz", key: "z", found: ["w"])) {
                try LatentsFile.z(LatentsFile.load(path: "\(dir)/w.npz"), source: "w.npz", model: model)
            }
        }
    }

    @Test func numpySavezCompressedIsRead() throws {
        let model = try Model.load(path: fixture("stylegan-32"))
        let bytes = try LatentsFile.load(path: fixtures.appendingPathComponent("latents-stylegan-32.npz").path)
        let z = try LatentsFile.z(bytes, source: "npz", model: model)
        #expect(z.count == 2 && z[0] == Latents.gaussian(seed: 42, count: 24).map { Double(Float($0)) })
        let w = try LatentsFile.w(bytes, source: "npz", model: model)
        #expect(w.count == 1 && w[0].count == 8 * 16)
        try inTemporaryDirectory { dir in
            try runCLI(["--weights", fixture("stylegan-32"), "--dlatents", fixtures.appendingPathComponent("latents-stylegan-32.npz").path,
                        "--quiet", "--out", "\(dir)/w.png"])
            #expect(try PNG.decode(read("\(dir)/w.png")).text["Latents"] != nil)
        }
    }

    static func npy(_ shape: [Int], _ values: [Double]) -> [UInt8] { NPY.encode(float64: values, shape: shape) }

    @Test func badFilesNameTheProblem() throws {
        let sg = try Model.load(path: fixture("stylegan-32")), pg = try Model.load(path: fixture("progan-d3-l16"))
        func zErr(_ b: [UInt8], _ m: Model) -> LatentsError? {
            do { _ = try LatentsFile.z(b, source: "f", model: m); return nil } catch { return error }
        }
        func wErr(_ b: [UInt8], _ m: Model) -> LatentsError? {
            do { _ = try LatentsFile.w(b, source: "f", model: m); return nil } catch { return error }
        }
        let ok = Self.npy([24], Array(repeating: 0.5, count: 24))
        #expect(zErr(ok, sg) == nil)
        #expect(zErr(Self.npy([2, 23], Array(repeating: 1, count: 46)), sg)
                == .wrongShape(file: "f", expected: "[N, 24] or [24] (this model's latent size is 24)", found: [2, 23]))
        #expect(zErr(Self.npy([0, 24], []), sg) != nil)
        #expect(zErr(Self.npy([1025, 24], Array(repeating: 1, count: 1025 * 24)), sg) == .tooMany(file: "f", count: 1025, limit: 1024))
        var nan = Array(repeating: 1.0, count: 24); nan[5] = .nan
        #expect(zErr(Self.npy([1, 24], nan), sg) == .notFinite(file: "f", vector: 0, element: 5))
        var inf = Array(repeating: 1.0, count: 32); inf[31] = -.infinity
        #expect(zErr(Self.npy([2, 16], inf), pg) == .notFinite(file: "f", vector: 1, element: 15))
        #expect(zErr(Self.npy([16], Array(repeating: 0, count: 16)), pg) == .zeroVector(file: "f", vector: 0))
        var f2 = ok; f2[f2.firstIndex(of: UInt8(ascii: "8"))!] = UInt8(ascii: "2")
        #expect(zErr(f2, sg) == .wrongDType(file: "f", found: "<f2"))
        #expect(zErr(Array(ok.dropLast(8)), sg).map { if case .malformed = $0 { true } else { false } } == true)
        #expect(zErr(Array("hello".utf8), sg).map { if case .malformed = $0 { true } else { false } } == true)
        let wOnly = LatentsFile.npz(z: [Array(repeating: 1, count: 24)], w: nil, layers: nil, dlatentSize: nil)
        #expect(wErr(wOnly, sg) == .missingKey(file: "f", key: "w", found: ["z"]))
        var corrupt = LatentsFile.npz(z: [Array(repeating: 1, count: 24)], w: nil, layers: nil, dlatentSize: nil)
        corrupt[40] ^= 0xFF  // inside z.npy's data: the CRC no longer matches
        #expect(zErr(corrupt, sg).map { if case .malformed = $0 { true } else { false } } == true)
        #expect(wErr(Self.npy([1, 16], Array(repeating: 1, count: 16)), pg) == .wrongFamily(file: "f", model: "progan-d3-l16"))
        #expect(wErr(Self.npy([1, 7, 16], Array(repeating: 1, count: 7 * 16)), sg) != nil)  // 8 layers expected
        #expect(wErr(Self.npy([1, 16], [Double](repeating: 1e300, count: 16)), sg) == .notFinite(file: "f", vector: 0, element: 0))
        #expect(wErr(Self.npy([1, 8, 16], Array(repeating: 0.25, count: 128)), sg) == nil)
        // Every message names the file.
        for e in [zErr(f2, sg), wErr(wOnly, sg), zErr(Self.npy([16], Array(repeating: 0, count: 16)), pg)] {
            #expect(e?.description.hasPrefix("f") == true)
        }
    }

    @Test func oversizedAndMissingFilesAreRefusedBeforeReading() throws {
        try inTemporaryDirectory { dir in
            let big = "\(dir)/big.npy"
            #expect(FileManager.default.createFile(atPath: big, contents: nil))
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
            try h.truncate(atOffset: UInt64(LatentsFile.maxBytes + 1))  // sparse: no disk used
            try h.close()
            #expect(throws: LatentsError.tooLarge(file: big, bytes: LatentsFile.maxBytes + 1, limit: LatentsFile.maxBytes)) {
                try LatentsFile.load(path: big)
            }
            #expect(throws: LatentsError.self) { try LatentsFile.load(path: "\(dir)/missing.npy") }
            #expect(throws: LatentsError.self) { try LatentsFile.load(path: dir) }
        }
    }

    @Test func optionsAreChecked() throws {
        #expect(throws: (any Error).self) { try runCLI(["--latents", "a.npy", "--dlatents", "b.npy"]) }
        #expect(throws: (any Error).self) { try runCLI(["--seeds", "1", "--save-latents", "x.npy"]) }
        #expect(throws: (any Error).self) {
            try runCLI(["--weights", fixture("progan-d3-l16"), "--dlatents", fixtures.appendingPathComponent("latents-stylegan-32.npz").path])
        }
    }
}

/// tools/fuzz/corpus/FuzzLatents replayed through what FuzzLatents calls.
@Suite struct FuzzLatentsCorpusTests {
    @Test func corpusReplaysToResultsNotCrashes() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/fuzz/corpus/FuzzLatents")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        var decoded = 0
        for f in files {
            let bytes = try read(dir.appendingPathComponent(f).path)
            if let members = try? ZipMembers.read(bytes, source: f) {
                decoded += members.compactMap { try? NPY.decodeFloats($0.bytes) }.count
            } else if (try? NPY.decodeFloats(bytes)) != nil {
                decoded += 1
            }
        }
        #expect(files.count >= 4 && decoded >= 5)
    }
}
