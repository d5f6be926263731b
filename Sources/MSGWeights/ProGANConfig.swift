// MARK: - ProGANConfig

/// Hyper-parameters of an MSG-ProGAN generator (BMSG-GAN's `Generator(depth,
/// latent_size, use_eql)`), parsed from `msg-gen.config`.
public struct ProGANConfig: Sendable, Equatable, Codable {
    public var depth: Int
    public var latentSize: Int
    public var useEql: Bool

    public init(depth: Int, latentSize: Int, useEql: Bool = true) {
        self.depth = depth
        self.latentSize = latentSize
        self.useEql = useEql
    }

    enum CodingKeys: String, CodingKey {
        case depth
        case latentSize = "latent_size"
        case useEql = "use_eql"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        depth = try c.decode(Int.self, forKey: .depth)
        latentSize = try c.decode(Int.self, forKey: .latentSize)
        useEql = try c.decodeIfPresent(Bool.self, forKey: .useEql) ?? true
    }

    // MARK: - Derived

    /// C_0 = L, C_i = L for i <= 3, C_i = L / 2^(i-3) for i >= 4 (BMSG-GAN's
    /// `GenGeneralConvBlock` channel halving; the config check ensures exact division).
    public func channels(block i: Int) -> Int {
        guard i >= 4 else { return latentSize }
        let shift = i - 3
        return shift < Int.bitWidth - 1 ? latentSize / (1 << shift) : 0
    }

    /// 4, 8, ..., 2^(depth+1): one output per block.
    public var resolutions: [Int] {
        (0..<max(depth, 0)).map { 4 << $0 }
    }

    /// FORMAT.md's table: the generator `state_dict` keys, PyTorch layouts.
    public func expectedTensors() -> [(name: String, shape: [Int])] {
        let l = latentSize
        var out: [(name: String, shape: [Int])] = []
        for i in 0..<max(depth, 0) {
            let c = channels(block: i)
            if i == 0 {
                out.append(("layers.0.conv_1.weight", [l, l, 4, 4]))   // ConvTranspose2d: in, out, kh, kw
                out.append(("layers.0.conv_1.bias", [l]))
                out.append(("layers.0.conv_2.weight", [l, l, 3, 3]))
                out.append(("layers.0.conv_2.bias", [l]))
            } else {
                out.append(("layers.\(i).conv_1.weight", [c, channels(block: i - 1), 3, 3]))
                out.append(("layers.\(i).conv_1.bias", [c]))
                out.append(("layers.\(i).conv_2.weight", [c, c, 3, 3]))
                out.append(("layers.\(i).conv_2.bias", [c]))
            }
        }
        for i in 0..<max(depth, 0) {
            out.append(("rgb_converters.\(i).weight", [3, channels(block: i), 1, 1]))
            out.append(("rgb_converters.\(i).bias", [3]))
        }
        return out
    }

    public var configJSON: String {
        JSONText.object([
            ("depth", String(depth)),
            ("latent_size", String(latentSize)),
            ("use_eql", useEql ? "true" : "false"),
        ])
    }

    // MARK: - Parsing

    static let maxDepth = 15            // 65536 px
    static let maxLatentSize = 1 << 20

    /// Reads `depth` and `latent_size` (required) and `use_eql` (default true);
    /// other keys are ignored, as upstream's constructor would refuse them anyway.
    static func parse(_ reader: ConfigReader) throws(WeightsError) -> ProGANConfig {
        let config = ProGANConfig(
            depth: try reader.required("depth", try reader.int("depth")),
            latentSize: try reader.required("latent_size", try reader.int("latent_size")),
            useEql: try reader.bool("use_eql") ?? true)
        try reader.check((1...maxDepth).contains(config.depth), "depth",
                         "\(config.depth) is outside 1...\(maxDepth)")
        try reader.check((1...maxLatentSize).contains(config.latentSize), "latent_size",
                         "\(config.latentSize) is outside 1...\(maxLatentSize)")
        if config.depth >= 5 {
            let divisor = 1 << (config.depth - 4)
            try reader.check(config.latentSize % divisor == 0, "latent_size",
                             "\(config.latentSize) is not divisible by \(divisor), as depth \(config.depth)'s channel halving needs")
        }
        return config
    }
}
