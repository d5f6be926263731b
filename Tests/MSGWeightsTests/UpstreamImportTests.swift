import Foundation
import Testing
@testable import MSGWeights

/// Upstream fixtures (tools/upstream/*.py) and the golden files they were made from.
enum Upstream {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MSGGenTests/Fixtures")
    static func path(_ name: String) -> String { golden.appendingPathComponent("upstream/\(name)").path }
    static func goldenPath(_ name: String) -> String { golden.appendingPathComponent("\(name).safetensors").path }
    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }
}

/// The error `body` throws, as a WeightsError.
func weightsError(_ body: () throws -> Void) -> WeightsError? {
    do { try body(); return nil } catch let e as WeightsError { return e } catch { return nil }
}

@Suite struct UpstreamImportTests {
    static let torchFiles: [(file: String, golden: String, container: WeightsContainer)] = [
        ("GAN_GEN_3.pth", "progan-d3-l16", .torchZip),
        ("GAN_GEN_3-legacy.pth", "progan-d3-l16", .torchLegacy),
        ("GAN_GEN_SHADOW_1.pth", "progan-d1-l8", .torchZip),
        ("GAN_GEN_1-dataparallel.pth", "progan-d1-l8", .torchLegacy),
        ("stylegan-32.pkl", "stylegan-32", .tfPickle),
    ]

    @Test(arguments: torchFiles.indices)
    func convertsBitIdenticalToTheSource(_ i: Int) throws {
        let (file, goldenName, container) = Self.torchFiles[i]
        let converted = try ModelImporter.convert(path: Upstream.path(file), name: "n", dataset: "d", license: "l")
        #expect(converted.container == container)
        let got = try ModelFile(file: try SafeTensorsFile(bytes: converted.bytes, source: file), fallbackName: "x")
        let want = try ModelFile.open(path: Upstream.goldenPath(goldenName))
        #expect(got.config == want.config)
        #expect(got.name == "n" && got.dataset == "d" && got.license == "l")
        #expect(got.sourceNote == converted.sourceNote)
        #expect(converted.sourceNote.hasPrefix("imported from \(file) ("))
        #expect(converted.sourceNote.contains(container.rawValue))
        // Every tensor: same name, dtype, shape and bytes (Gs's lod and G_synthesis/lod are extra upstream scalars).
        #expect(Set(got.file.names).subtracting(["G_synthesis/lod", "lod"]) == Set(want.file.names))
        for name in want.file.names {
            let a = try #require(got.file.tensors[name]), b = try #require(want.file.tensors[name])
            #expect(a.dtype == b.dtype && a.shape == b.shape, "\(name)")
            let x = try got.file.withRawBytes(name) { Array($0) }
            let y = try want.file.withRawBytes(name) { Array($0) }
            #expect(x == y, "\(name) differs")
        }
    }

    @Test func sourceNotesSayWhatWasTaken() throws {
        let pkl = try ModelImporter.convert(path: Upstream.path("stylegan-32.pkl"))
        #expect(pkl.sourceNote == "imported from stylegan-32.pkl (msg-stylegan-tf/StyleGAN, TF pickle; Gs of the (G, D, Gs) tuple)")
        let dp = try ModelImporter.convert(path: Upstream.path("GAN_GEN_1-dataparallel.pth"))
        #expect(dp.sourceNote == "imported from GAN_GEN_1-dataparallel.pth (BMSG-GAN, torch legacy; 'module.' prefix removed)")
    }

    @Test func modelFileOpensEveryContainerByContent() throws {
        for (file, goldenName, container) in Self.torchFiles {
            let m = try ModelFile.open(path: Upstream.path(file))
            #expect(m.container == container)
            #expect(m.config == (try ModelFile.open(path: Upstream.goldenPath(goldenName))).config)
            #expect(m.name == ModelFile.fileStem(file))
        }
        #expect(try ModelFile.open(path: Upstream.goldenPath("stylegan-32")).container == .safetensors)
    }

    @Test func discriminatorIsNotAGenerator() {
        let e = weightsError { _ = try ModelFile.open(path: Upstream.path("GAN_DIS_1.pth")) }
        guard case .notAGenerator(_, "MSG-ProGAN", let found)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(found.contains("Discriminator") && found.contains("rgb_to_features.0.weight"))
    }

    @Test func optimizerIsNotAGenerator() {
        let e = weightsError { _ = try ModelFile.open(path: Upstream.path("GAN_GEN_OPTIM_1.pth")) }
        guard case .notAGenerator(_, _, let found)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(found.contains("optimizer") && found.contains("param_groups"))
    }

    @Test func safetensorsIsNotConverted() {
        let e = weightsError { _ = try ModelImporter.convert(path: Upstream.goldenPath("stylegan-32")) }
        guard case .invalidCheckpoint? = e else { Issue.record("got \(String(describing: e))"); return }
    }
}

@Suite struct UpstreamRuleTests {
    /// A variable no rule or config accounts for is an error naming it (legacy.py's rule).
    @Test func leftoverVariablesAreErrors() throws {
        var bytes = try Upstream.bytes("stylegan-32.pkl")
        let lod: [UInt8] = [0x8C, 3] + Array("lod".utf8)
        let at = try #require((0..<(bytes.count - 5)).first { Array(bytes[$0..<($0 + 5)]) == lod })
        bytes[at + 2] = UInt8(ascii: "x")   // every "lod" (memoized once) becomes "xod"
        let e = weightsError { _ = try ModelImporter.convert(bytes: bytes, label: "x.pkl") }
        guard case .unexpectedTensor("x.pkl", let name)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(name == "xod" || name == "G_synthesis/xod")
    }

    /// float64 arrays become F32, rounded to nearest (numpy's astype(float32)).
    @Test func float64IsRoundedToF32() throws {
        let values: [Double] = [1.0 / 3.0, -2.5, 1e300, 0]
        let bytes = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let entry = try #require(UpstreamTensor(element: .f64, shape: [4], bytes: bytes).entry(name: "x"))
        #expect(entry.dtype == .f32 && entry.shape == [4])
        let written = try entry.materialize()
        let floats = stride(from: 0, to: 16, by: 4).map { i in
            Float(bitPattern: UInt32(written[i]) | UInt32(written[i + 1]) << 8 | UInt32(written[i + 2]) << 16 | UInt32(written[i + 3]) << 24)
        }
        #expect(floats == values.map { Float($0) })
        #expect(UpstreamTensor(element: .other("I64"), shape: [1], bytes: [0, 0, 0, 0, 0, 0, 0, 0]).entry(name: "y") == nil)
    }
}
