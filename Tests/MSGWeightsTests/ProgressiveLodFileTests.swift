import Foundation
import Testing
@testable import MSGWeights

/// StyleGAN v1's progressive-growing level and the other upstream state that
/// would change the picture: honoured exactly or refused by name.
@Suite struct ProgressiveLodFileTests {
    /// The small StyleGAN (16 px, levels 0 ... 2) with extra scalar tensors.
    static func bytes(_ extra: [(String, [Int], [Float])], config: StyleGANConfig = smallStyleGAN,
                      configJSON: ((String) -> String)? = nil) -> [UInt8] {
        var entries = config.expectedTensors().enumerated().map { entry($1.name, $1.shape, seed: $0) }
        for (name, shape, values) in extra { entries.append(.init(name: name, shape: shape, floats: values)) }
        var meta = metadata(.styleGAN(config))
        if let configJSON { meta["msg-gen.config"] = configJSON(meta["msg-gen.config"]!) }
        return SafeTensorsWriter.encode(entries, metadata: meta)
    }

    static func open(_ bytes: [UInt8]) throws -> ModelFile {
        try ModelFile(file: try SafeTensorsFile(bytes: bytes, source: src), fallbackName: "x")
    }

    @Test func gsLevelWinsOverSynthesisLevel() throws {
        // G_style assigns its own lod to G_synthesis/lod before every Gs.run.
        let m = try Self.open(Self.bytes([("G_synthesis/lod", [], [0.5]), ("lod", [], [1.25])]))
        #expect(m.progressiveLod == ProgressiveLod(stored: 1.25, tensor: "lod", applied: true))
        let s = try Self.open(Self.bytes([("G_synthesis/lod", [], [2])]))
        #expect(s.progressiveLod == ProgressiveLod(stored: 2, tensor: "G_synthesis/lod", applied: true))
        #expect(try Self.open(Self.bytes([])).progressiveLod == nil)
        // Not weights: the parameter count leaves them out.
        #expect(m.parameterCount == (try Self.open(Self.bytes([]))).parameterCount)
    }

    @Test(arguments: [Float(-0.5), 2.5, 7, .nan, .infinity])
    func levelsOutsideTheScheduleAreRefused(_ v: Float) throws {
        let e = modelError(Self.bytes([("lod", [], [v])]))
        guard case .invalidTensorEntry(src, "lod", let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("outside 0 ... 2"))
    }

    @Test func aLevelMustBeAScalar() {
        #expect(modelError(Self.bytes([("G_synthesis/lod", [2], [1, 1])])) == .wrongShape(file: src, tensor: "G_synthesis/lod", shape: [2], expected: []))
        #expect(modelError(Self.bytes([("lod", [1, 1], [1])])) == .wrongShape(file: src, tensor: "lod", shape: [1, 1], expected: []))
        #expect((try? Self.open(Self.bytes([("lod", [1], [1])])))?.progressiveLod?.stored == 1)
    }

    @Test func fixedStructureIgnoresTheLevel() throws {
        var c = smallStyleGAN
        c.structure = .fixed
        let m = try Self.open(Self.bytes([("lod", [], [1.5])], config: c))
        #expect(m.progressiveLod == ProgressiveLod(stored: 1.5, tensor: "lod", applied: false))
        #expect(m.progressiveLod?.effective == 0)
        #expect(c.configJSON.contains("\"structure\":\"fixed\""))
        #expect(!smallStyleGAN.configJSON.contains("structure"))
    }

    /// Static kwargs that would change upstream's picture and that msg-gen does not model.
    @Test(arguments: [("structure", "\"grown\"", "unknown value 'grown'"),
                      ("dtype", "\"float16\"", "'float16' is not supported"),
                      ("is_training", "true", "true is not supported"),
                      ("is_validation", "true", "truncation_psi_val")])
    func stateThatChangesTheOutputIsRefusedByName(_ key: String, _ value: String, _ why: String) {
        let bytes = Self.bytes([], configJSON: { String($0.dropLast()) + ",\"\(key)\":\(value)}" })
        let e = modelError(bytes)
        guard case .invalidConfigValue(src, key, let reason)? = e else { Issue.record("\(key): got \(String(describing: e))"); return }
        #expect(reason.contains(why))
    }

    @Test func harmlessValuesOfThoseKeysLoad() throws {
        for (key, value) in [("dtype", "\"float32\""), ("is_training", "false"), ("is_validation", "false"), ("structure", "\"linear\"")] {
            _ = try Self.open(Self.bytes([], configJSON: { String($0.dropLast()) + ",\"\(key)\":\(value)}" }))
        }
    }

    @Test func importerKeepsBothLevels() throws {
        let converted = try ModelImporter.convert(path: Upstream.path("stylegan-32-lod1.5.pkl"))
        let m = try ModelFile(file: try SafeTensorsFile(bytes: converted.bytes, source: "x"), fallbackName: "x")
        #expect(try m.floats("lod") == [1.5])
        #expect(try m.floats("G_synthesis/lod") == [1.5])
        #expect(m.progressiveLod?.effective == 1.5)
    }
}
