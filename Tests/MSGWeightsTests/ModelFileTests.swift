import Foundation
import Testing
@testable import MSGWeights

// MARK: - Model files: metadata, config, tensor set

@Suite struct ModelFileTests {
    // MARK: Valid files

    @Test(arguments: [DType.f32, .f16, .bf16])
    func validProGAN(dtype: DType) throws {
        let model = try ModelFile(file: try SafeTensorsFile(bytes: modelBytes(.proGAN(smallProGAN), dtype: dtype), source: src),
                                  fallbackName: "fallback")
        #expect(model.config == .proGAN(smallProGAN))
        #expect(model.config.family == .msgProGAN)
        #expect(model.config.resolutions == [4, 8, 16])
        #expect(model.name == "fallback")
        #expect(model.file.tensors.count == 3 * 4 + 3 * 2)
        // 8*8*16 + 8 + 8*8*9 + 8, twice more 8*8*9 + 8 + 8*8*9 + 8, rgb 3 * (24 + 3)
        #expect(model.parameterCount == (1024 + 8 + 576 + 8) + 2 * (576 + 8 + 576 + 8) + 3 * 27)
        #expect(try model.floats("layers.0.conv_1.bias") == sampleValues(8, seed: 1))
    }

    @Test func proGANShapes() {
        let c = ProGANConfig(depth: 7, latentSize: 512)
        #expect((0..<7).map { c.channels(block: $0) } == [512, 512, 512, 512, 256, 128, 64])
        let shapes = Dictionary(uniqueKeysWithValues: c.expectedTensors().map { ($0.name, $0.shape) })
        #expect(shapes["layers.0.conv_1.weight"] == [512, 512, 4, 4])
        #expect(shapes["layers.4.conv_1.weight"] == [256, 512, 3, 3])
        #expect(shapes["layers.6.conv_2.weight"] == [64, 64, 3, 3])
        #expect(shapes["rgb_converters.6.weight"] == [3, 64, 1, 1])
        #expect(c.resolutions.last == 256)
    }

    @Test(arguments: [DType.f32, .f16, .bf16])
    func validStyleGAN(dtype: DType) throws {
        let config = smallStyleGAN
        let bytes = modelBytes(.styleGAN(config), dtype: dtype, meta: { meta in
            meta["msg-gen.name"] = "faces-16"
            meta["msg-gen.dataset"] = "faces"
            meta["msg-gen.license"] = "CC-BY-4.0"
            meta["msg-gen.source"] = "built in a test"
            meta["unknown.key"] = "kept"
        })
        let model = try ModelFile(file: try SafeTensorsFile(bytes: bytes, source: src), fallbackName: "x")
        #expect(model.config == .styleGAN(config))
        #expect(model.name == "faces-16" && model.dataset == "faces" && model.license == "CC-BY-4.0" && model.sourceNote == "built in a test")
        #expect(model.file.metadata["unknown.key"] == "kept")
        #expect(model.file.tensors.count == 47)
    }

    @Test func styleGANShapes() {
        let c = smallStyleGAN
        #expect(c.resolutionLog2 == 4 && c.numLayers == 6 && c.resolutions == [4, 8, 16])
        #expect((1...3).map { c.channels(stage: $0) } == [8, 8, 4])
        let shapes = Dictionary(uniqueKeysWithValues: c.expectedTensors().map { ($0.name, $0.shape) })
        #expect(shapes["G_mapping/Dense0/weight"] == [8, 8])
        #expect(shapes["G_mapping/Dense1/bias"] == [8])
        #expect(shapes["dlatent_avg"] == [8])
        #expect(shapes["G_synthesis/noise0"] == [1, 1, 4, 4])
        #expect(shapes["G_synthesis/noise5"] == [1, 1, 16, 16])
        #expect(shapes["G_synthesis/4x4/Const/const"] == [1, 8, 4, 4])
        #expect(shapes["G_synthesis/4x4/Const/StyleMod/weight"] == [8, 16])
        #expect(shapes["G_synthesis/4x4/Conv/weight"] == [3, 3, 8, 8])
        #expect(shapes["G_synthesis/16x16/Conv0_up/weight"] == [3, 3, 8, 4])
        #expect(shapes["G_synthesis/16x16/Conv1/Noise/weight"] == [4])
        #expect(shapes["G_synthesis/16x16/Conv1/StyleMod/bias"] == [8])
        #expect(shapes["G_synthesis/ToRGB_lod0/weight"] == [1, 1, 4, 3])
        #expect(shapes["G_synthesis/ToRGB_lod2/weight"] == [1, 1, 8, 3])

        // Upstream defaults at 1024 px: 18 layers, nf = 512 ... 16, mapping 512 -> 512.
        let full = StyleGANConfig(resolution: 1024)
        #expect(full.numLayers == 18)
        #expect((1...9).map { full.channels(stage: $0) } == [512, 512, 512, 512, 256, 128, 64, 32, 16])
        let fullShapes = Dictionary(uniqueKeysWithValues: full.expectedTensors().map { ($0.name, $0.shape) })
        #expect(fullShapes["G_synthesis/1024x1024/Conv0_up/weight"] == [3, 3, 32, 16])
        #expect(fullShapes["G_synthesis/noise17"] == [1, 1, 1024, 1024])
        #expect(fullShapes["G_mapping/Dense7/weight"] == [512, 512])
        #expect(full.usesFusedUpConv(resolution: 128) && !full.usesFusedUpConv(resolution: 64))
    }

    @Test func styleGANFlagsChangeTheTensorSet() throws {
        var c = smallStyleGAN
        c.useNoise = false
        c.useStyles = false
        c.constInputLayer = false
        let names = Set(c.expectedTensors().map(\.name))
        #expect(!names.contains { $0.contains("Noise") || $0.contains("noise") || $0.contains("StyleMod") })
        #expect(c.expectedTensors().first { $0.name == "G_synthesis/4x4/Dense/weight" }?.shape == [8, 128])
        #expect(names.contains("G_synthesis/4x4/Dense/bias") && !names.contains("G_synthesis/4x4/Const/const"))
        _ = try ModelFile(file: try SafeTensorsFile(bytes: modelBytes(.styleGAN(c)), source: src), fallbackName: "x")
    }

    @Test func styleGANv1LodIsAccepted() throws {
        // A scalar level in 0 ... log2(R) - 2 (ProgressiveLodFileTests has the rule).
        var entries = smallStyleGAN.expectedTensors().enumerated().map { entry($1.name, $1.shape, seed: $0) }
        entries.append(.init(name: "G_synthesis/lod", shape: [], floats: [0]))
        let bytes = SafeTensorsWriter.encode(entries, metadata: metadata(.styleGAN(smallStyleGAN)))
        let model = try ModelFile(file: try SafeTensorsFile(bytes: bytes, source: src), fallbackName: "x")
        #expect(model.file.tensors["G_synthesis/lod"] != nil)
        #expect(model.progressiveLod?.effective == 0)
    }

    @Test func openFromPath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msgweights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny-progan.safetensors").path
        try Data(modelBytes(.proGAN(smallProGAN))).write(to: URL(fileURLWithPath: path))
        let model = try ModelFile.open(path: path)
        #expect(model.name == "tiny-progan")
        #expect(model.file.source == path)
        #expect(ModelFile.fileStem("a/b.c/model") == "model" && ModelFile.fileStem(".hidden") == ".hidden")
    }

    // MARK: Config JSON round trips

    @Test func configJSONRoundTrips() throws {
        var c = smallStyleGAN
        c.fusedScale = .no
        c.truncationPsi = nil
        c.truncationCutoff = nil
        c.blurFilter = []
        c.mappingLrmul = 0.015
        for config in [ModelConfig.styleGAN(c), .styleGAN(StyleGANConfig(resolution: 1024)), .proGAN(smallProGAN)] {
            let parsed = try ModelConfig.parse(family: config.family, json: config.configJSON, source: src)
            #expect(parsed == config)
        }
        #expect(smallProGAN.configJSON == "{\"depth\":3,\"latent_size\":8,\"use_eql\":true}")
        let decoded = try JSONDecoder().decode(ProGANConfig.self, from: Data("{\"depth\":3,\"latent_size\":8}".utf8))
        #expect(decoded == smallProGAN)
    }

    @Test func styleGANDefaultsFromMissingKeys() throws {
        let parsed = try ModelConfig.parse(family: .msgStyleGAN, json: "{\"resolution\":64,\"randomize_noise\":false}", source: src)
        #expect(parsed == .styleGAN(StyleGANConfig(resolution: 64)))   // unknown keys ignored ("structure" is read: ProgressiveLodFileTests)
        guard case .styleGAN(let c) = parsed else { return }
        #expect(c.truncationPsi == 0.7 && c.truncationCutoff == 8 && c.fusedScale == .auto && c.blurFilter == [1, 2, 1])
        #expect(c.mappingLrmul == 0.01 && c.latentSize == 512 && c.fmapBase == 8192)
    }

    // MARK: Metadata errors

    @Test(arguments: ["msg-gen.format", "msg-gen.family", "msg-gen.config"])
    func missingMetadataKey(key: String) {
        let bytes = modelBytes(.proGAN(smallProGAN), meta: { $0[key] = nil })
        #expect(modelError(bytes) == .missingMetadataKey(file: src, key: key))
    }

    @Test(arguments: ["2", "", "1.0"])
    func unsupportedFormat(version: String) {
        let bytes = modelBytes(.proGAN(smallProGAN), meta: { $0["msg-gen.format"] = version })
        #expect(modelError(bytes) == .unsupportedFormat(file: src, version: version))
    }

    @Test(arguments: ["msg-gan", "progan", "MSG-ProGAN"])
    func unknownFamily(family: String) {
        let bytes = modelBytes(.proGAN(smallProGAN), meta: { $0["msg-gen.family"] = family })
        #expect(modelError(bytes) == .unknownFamily(file: src, family: family))
    }

    // MARK: Config errors

    func configError(_ family: ModelFamily, _ json: String) -> WeightsError? {
        do {
            _ = try ModelConfig.parse(family: family, json: json, source: src)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["", "{", "depth=3", "[3]", "\"x\"", "{\"depth\":3,\"depth\":3,\"latent_size\":8}"])
    func configNotJSONObject(json: String) {
        guard case .invalidConfigJSON(src, _)? = configError(.msgProGAN, json) else {
            Issue.record("'\(json)' accepted"); return
        }
    }

    @Test func configErrorThroughModelFile() {
        let bytes = modelBytes(.proGAN(smallProGAN), meta: { $0["msg-gen.config"] = "not json" })
        guard case .invalidConfigJSON(src, _)? = modelError(bytes) else {
            Issue.record("bad config accepted"); return
        }
    }

    @Test(arguments: [
        (ModelFamily.msgProGAN, "{\"depth\":\"3\",\"latent_size\":8}", "depth", "an integer", "a string"),
        (.msgProGAN, "{\"depth\":3,\"latent_size\":8.5}", "latent_size", "an integer", "the number 8.5"),
        (.msgProGAN, "{\"depth\":3,\"latent_size\":8,\"use_eql\":1}", "use_eql", "true or false", "the number 1"),
        (.msgProGAN, "{\"depth\":null,\"latent_size\":8}", "depth", "an integer", "null"),
        (.msgStyleGAN, "{\"resolution\":16,\"fmap_decay\":\"1\"}", "fmap_decay", "a number", "a string"),
        (.msgStyleGAN, "{\"resolution\":16,\"use_noise\":\"yes\"}", "use_noise", "true or false", "a string"),
        (.msgStyleGAN, "{\"resolution\":16,\"truncation_psi\":\"0.7\"}", "truncation_psi", "a number", "a string"),
        (.msgStyleGAN, "{\"resolution\":16,\"truncation_cutoff\":8.5}", "truncation_cutoff", "an integer", "the number 8.5"),
        (.msgStyleGAN, "{\"resolution\":16,\"blur_filter\":\"121\"}", "blur_filter", "an array of numbers", "a string"),
        (.msgStyleGAN, "{\"resolution\":16,\"fused_scale\":3}", "fused_scale", "true, false or \"auto\"", "the number 3"),
    ])
    func configKeyWrongType(family: ModelFamily, json: String, key: String, expected: String, found: String) {
        #expect(configError(family, json) == .configKeyType(file: src, key: key, expected: expected, found: found))
    }

    @Test(arguments: [
        (ModelFamily.msgProGAN, "{\"latent_size\":8}", "depth"),
        (.msgProGAN, "{\"depth\":3}", "latent_size"),
        (.msgStyleGAN, "{\"latent_size\":8}", "resolution"),
    ])
    func configKeyMissing(family: ModelFamily, json: String, key: String) {
        #expect(configError(family, json) == .missingConfigKey(file: src, key: key))
    }

    @Test(arguments: [
        (ModelFamily.msgProGAN, "{\"depth\":0,\"latent_size\":8}", "depth"),
        (.msgProGAN, "{\"depth\":-2,\"latent_size\":8}", "depth"),
        (.msgProGAN, "{\"depth\":99,\"latent_size\":8}", "depth"),
        (.msgProGAN, "{\"depth\":3,\"latent_size\":0}", "latent_size"),
        (.msgProGAN, "{\"depth\":6,\"latent_size\":6}", "latent_size"),     // C_5 = 6 / 4
        (.msgStyleGAN, "{\"resolution\":12}", "resolution"),
        (.msgStyleGAN, "{\"resolution\":2}", "resolution"),
        (.msgStyleGAN, "{\"resolution\":0}", "resolution"),
        (.msgStyleGAN, "{\"resolution\":16,\"fused_scale\":\"sometimes\"}", "fused_scale"),
        (.msgStyleGAN, "{\"resolution\":16,\"fmap_base\":2}", "fmap_base"),   // nf(3) = 0
        (.msgStyleGAN, "{\"resolution\":16,\"latent_size\":0}", "latent_size"),
        (.msgStyleGAN, "{\"resolution\":16,\"mapping_layers\":0}", "mapping_layers"),
        (.msgStyleGAN, "{\"resolution\":16,\"mapping_lrmul\":0}", "mapping_lrmul"),
        (.msgStyleGAN, "{\"resolution\":16,\"fmap_decay\":1e999}", "fmap_decay"),
        (.msgStyleGAN, "{\"resolution\":16,\"num_channels\":1}", "num_channels"),
        (.msgStyleGAN, "{\"resolution\":16,\"label_size\":10}", "label_size"),
    ])
    func configValueImpossible(family: ModelFamily, json: String, key: String) {
        guard case .invalidConfigValue(src, key, _)? = configError(family, json) else {
            Issue.record("'\(json)': \(String(describing: configError(family, json)))"); return
        }
    }

    @Test func configNullsMeanNone() throws {
        let parsed = try ModelConfig.parse(family: .msgStyleGAN,
                                           json: "{\"resolution\":16,\"truncation_psi\":null,\"truncation_cutoff\":null,\"blur_filter\":null,\"fused_scale\":true}",
                                           source: src)
        guard case .styleGAN(let c) = parsed else { Issue.record("family"); return }
        #expect(c.truncationPsi == nil && c.truncationCutoff == nil && c.blurFilter.isEmpty && c.fusedScale == .yes)
        #expect(c.usesFusedUpConv(resolution: 8))
    }

    // MARK: Tensor set errors

    @Test func missingTensor() {
        let bytes = modelBytes(.proGAN(smallProGAN), edit: { $0.removeAll { $0.name == "layers.1.conv_2.bias" } })
        #expect(modelError(bytes) == .missingTensor(file: src, tensor: "layers.1.conv_2.bias", expectedShape: [8]))
    }

    @Test func unexpectedTensor() {
        let bytes = modelBytes(.proGAN(smallProGAN), edit: { $0.append(("layers.1.conv_3.weight", [2])) })
        #expect(modelError(bytes) == .unexpectedTensor(file: src, tensor: "layers.1.conv_3.weight"))
        let lodInProGAN = modelBytes(.proGAN(smallProGAN), edit: { $0.append(("G_synthesis/lod", [])) })
        #expect(modelError(lodInProGAN) == .unexpectedTensor(file: src, tensor: "G_synthesis/lod"))
        let styleExtra = modelBytes(.styleGAN(smallStyleGAN), edit: { $0.append(("G_mapping/LabelConcat/weight", [1, 8])) })
        #expect(modelError(styleExtra) == .unexpectedTensor(file: src, tensor: "G_mapping/LabelConcat/weight"))
    }

    @Test func wrongShape() {
        let bytes = modelBytes(.proGAN(smallProGAN), edit: { tensors in
            tensors = tensors.map { $0.name == "layers.2.conv_1.weight" ? ($0.name, [8, 4, 3, 3]) : $0 }
        })
        let error = modelError(bytes)
        #expect(error == .wrongShape(file: src, tensor: "layers.2.conv_1.weight", shape: [8, 4, 3, 3], expected: [8, 8, 3, 3]))
        #expect(error?.description == "t.safetensors: tensor 'layers.2.conv_1.weight' has shape [8, 4, 3, 3], expected [8, 8, 3, 3]")
    }

    @Test func proGANDepthMismatch() {
        let deeper = ProGANConfig(depth: 4, latentSize: 8)
        let bytes = modelBytes(.proGAN(deeper), meta: { $0["msg-gen.config"] = smallProGAN.configJSON })
        #expect(modelError(bytes) == .configMismatch(file: src, reason: "config says depth 3 but file has tensors for depth 4"))
        let shallower = modelBytes(.proGAN(smallProGAN), meta: { $0["msg-gen.config"] = deeper.configJSON })
        #expect(modelError(shallower) == .configMismatch(file: src, reason: "config says depth 4 but file has tensors for depth 3"))
    }

    @Test func styleGANResolutionMismatch() {
        var bigger = smallStyleGAN
        bigger.resolution = 32
        let bytes = modelBytes(.styleGAN(bigger), meta: { $0["msg-gen.config"] = smallStyleGAN.configJSON })
        #expect(modelError(bytes) == .configMismatch(file: src, reason: "config says resolution 16 but file has tensors for resolution 32"))
    }

    @Test func styleGANMappingMismatch() {
        var more = smallStyleGAN
        more.mappingLayers = 3
        let bytes = modelBytes(.styleGAN(more), meta: { $0["msg-gen.config"] = smallStyleGAN.configJSON })
        #expect(modelError(bytes) == .configMismatch(file: src, reason: "config says mapping_layers 2 but file has 3 mapping layers"))
    }

    @Test func styleGANFlagMismatch() {
        var noNoise = smallStyleGAN
        noNoise.useNoise = false
        // File with noise tensors, config without: the noise tensors are unexpected.
        let bytes = modelBytes(.styleGAN(smallStyleGAN), meta: { $0["msg-gen.config"] = noNoise.configJSON })
        #expect(modelError(bytes) == .unexpectedTensor(file: src, tensor: "G_synthesis/noise0"))
    }
}
