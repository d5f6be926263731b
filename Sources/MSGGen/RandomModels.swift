import MSGWeights

/// Randomly initialised models in the exchange format, built in memory: what
/// `bench` measures (the paper's shapes) and what tests render. Weights are
/// N(0, 1) as upstream initialises them (the runtime scales make them sane).
public enum RandomModels {
    public static func proGAN(depth: Int, latentSize: Int, seed: UInt32 = 0, name: String? = nil) throws -> ModelFile {
        let label = name ?? "random-progan-d\(depth)-l\(latentSize)"
        let bytes = proGANBytes(depth: depth, latentSize: latentSize, seed: seed, name: label)
        return try ModelFile(file: SafeTensorsFile(bytes: bytes, source: label), fallbackName: label)
    }

    /// The safetensors bytes of `proGAN(...)`.
    public static func proGANBytes(depth: Int, latentSize: Int, seed: UInt32 = 0, name label: String) -> [UInt8] {
        let cfg = ProGANConfig(depth: depth, latentSize: latentSize)
        var rng = FastGaussian(seed: seed)
        let entries = cfg.expectedTensors().map { t -> SafeTensorsWriter.Entry in
            let n = t.shape.reduce(1, *)
            let isBias = t.name.hasSuffix(".bias")
            return SafeTensorsWriter.Entry(name: t.name, shape: t.shape,
                                           floats: (0..<n).map { _ in rng.next() * (isBias ? 0.1 : 1) })
        }
        return SafeTensorsWriter.encode(entries, metadata: [
            "msg-gen.format": "1",
            "msg-gen.family": ModelFamily.msgProGAN.rawValue,
            "msg-gen.config": cfg.configJSON,
            "msg-gen.name": label,
            "msg-gen.source": "random initialisation (seed \(seed)); renders noise",
        ])
    }
}

extension RandomModels {
    /// An MSG-StyleGAN with upstream-style init: conv, StyleMod and to-RGB
    /// weights N(0, 1), mapping weights N(0, 1/lrmul), small biases, stored noise N(0, 1).
    public static func styleGAN(_ cfg: StyleGANConfig, seed: UInt32 = 0, name: String? = nil) throws -> ModelFile {
        let label = name ?? "random-stylegan-\(cfg.resolution)"
        let bytes = styleGANBytes(cfg, seed: seed, name: label)
        return try ModelFile(file: SafeTensorsFile(bytes: bytes, source: label), fallbackName: label)
    }

    /// The safetensors bytes of `styleGAN(...)`.
    public static func styleGANBytes(_ cfg: StyleGANConfig, seed: UInt32 = 0, name label: String) -> [UInt8] {
        var rng = FastGaussian(seed: seed)
        let entries = cfg.expectedTensors().map { t -> SafeTensorsWriter.Entry in
            let n = t.shape.reduce(1, *)
            let scale: Float
            if t.name.hasPrefix("G_mapping/") && t.name.hasSuffix("/weight") { scale = Float(1 / cfg.mappingLrmul) }
            else if t.name.hasSuffix("bias") || t.name == "dlatent_avg" || t.name.hasSuffix("Noise/weight") { scale = 0.1 }
            else { scale = 1 }
            return SafeTensorsWriter.Entry(name: t.name, shape: t.shape, floats: (0..<n).map { _ in rng.next() * scale })
        }
        return SafeTensorsWriter.encode(entries, metadata: [
            "msg-gen.format": "1",
            "msg-gen.family": ModelFamily.msgStyleGAN.rawValue,
            "msg-gen.config": cfg.configJSON,
            "msg-gen.name": label,
            "msg-gen.source": "random initialisation (seed \(seed)); renders noise",
        ])
    }
}

/// A quick Gaussian source for random weights (xorshift + Box-Muller); not the
/// seed contract (that is RandomState), just reproducible filler.
struct FastGaussian {
    private var s: UInt64
    private var spare: Float?

    init(seed: UInt32) { s = 0x9E37_79B9_7F4A_7C15 ^ UInt64(seed) &* 0xBF58_476D_1CE4_E5B9 }

    mutating func uniform() -> Double {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return (Double(s >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    mutating func next() -> Float {
        if let v = spare { spare = nil; return v }
        let r = (-2 * log(uniform())).squareRoot(), t = 2 * Double.pi * uniform()
        spare = Float(r * sin(t))
        return Float(r * cos(t))
    }
}

#if canImport(Glibc)
import Glibc
#endif
