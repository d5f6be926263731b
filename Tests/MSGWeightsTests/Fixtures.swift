@testable import MSGWeights

// MARK: - Fixtures built in memory

/// The label every in-memory test file carries, so expected errors can name it.
let src = "t.safetensors"

/// A safetensors file with the header text exactly as given (no padding).
func rawFile(_ header: String, data: [UInt8] = []) -> [UInt8] {
    rawFile(headerBytes: Array(header.utf8), data: data)
}

func rawFile(headerBytes: [UInt8], data: [UInt8] = []) -> [UInt8] {
    littleEndian(UInt64(headerBytes.count)) + headerBytes + data
}

func littleEndian(_ n: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }
}

/// The error opening `bytes` gives, or nil when they load.
func loadError(_ bytes: [UInt8]) -> WeightsError? {
    do {
        _ = try SafeTensorsFile(bytes: bytes, source: src)
        return nil
    } catch {
        return error
    }
}

/// The error validating `bytes` as a model gives, or nil when it loads.
func modelError(_ bytes: [UInt8]) -> WeightsError? {
    do {
        _ = try ModelFile(file: try SafeTensorsFile(bytes: bytes, source: src), fallbackName: "t")
        return nil
    } catch {
        return error
    }
}

/// Deterministic values exactly representable in F16 and BF16.
func sampleValues(_ count: Int, seed: Int = 0) -> [Float] {
    (0..<count).map { Float((($0 + seed) % 7) - 3) * 0.125 }
}

func entry(_ name: String, _ shape: [Int], dtype: DType = .f32, seed: Int = 0) -> SafeTensorsWriter.Entry {
    let values = sampleValues(shape.reduce(1, *), seed: seed)
    switch dtype {
    case .f32: return .init(name: name, shape: shape, floats: values)
    case .f16: return .init(name: name, shape: shape, floatsAsF16: values)
    case .bf16:
        var bytes: [UInt8] = []
        for v in values {
            let b = UInt16(v.bitPattern >> 16) // values are exact in BF16
            bytes += [UInt8(b & 0xFF), UInt8(b >> 8)]
        }
        return .init(name: name, dtype: .bf16, shape: shape, bytes: bytes)
    }
}

func metadata(_ config: ModelConfig) -> [String: String] {
    ["msg-gen.format": "1", "msg-gen.family": config.family.rawValue, "msg-gen.config": config.configJSON]
}

/// A model file for `config`: its expected tensors, edited by `edit`, with metadata edited by `meta`.
func modelBytes(_ config: ModelConfig, dtype: DType = .f32,
                edit: (inout [(name: String, shape: [Int])]) -> Void = { _ in },
                meta: (inout [String: String]) -> Void = { _ in }) -> [UInt8] {
    var tensors = config.expectedTensors()
    edit(&tensors)
    var m = metadata(config)
    meta(&m)
    let entries = tensors.enumerated().map { entry($1.name, $1.shape, dtype: dtype, seed: $0) }
    return SafeTensorsWriter.encode(entries, metadata: m)
}

/// The small ProGAN of the brief: depth 3, latent 8.
let smallProGAN = ProGANConfig(depth: 3, latentSize: 8)

/// The small StyleGAN of the brief: 16 px, fmap_base 32, fmap_max 8 (nf = 8, 8, 4).
var smallStyleGAN: StyleGANConfig {
    var c = StyleGANConfig(resolution: 16)
    c.latentSize = 8
    c.dlatentSize = 8
    c.mappingLayers = 2
    c.mappingFmaps = 8
    c.fmapBase = 32
    c.fmapMax = 8
    return c
}
