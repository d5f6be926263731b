// MARK: - ModelConfig

/// A generator's hyper-parameters, one case per family.
public enum ModelConfig: Sendable, Equatable {
    case proGAN(ProGANConfig)
    case styleGAN(StyleGANConfig)

    public var family: ModelFamily {
        switch self {
        case .proGAN: return .msgProGAN
        case .styleGAN: return .msgStyleGAN
        }
    }

    /// The resolutions the generator outputs, 4 first.
    public var resolutions: [Int] {
        switch self {
        case .proGAN(let c): return c.resolutions
        case .styleGAN(let c): return c.resolutions
        }
    }

    public func expectedTensors() -> [(name: String, shape: [Int])] {
        switch self {
        case .proGAN(let c): return c.expectedTensors()
        case .styleGAN(let c): return c.expectedTensors()
        }
    }

    public var configJSON: String {
        switch self {
        case .proGAN(let c): return c.configJSON
        case .styleGAN(let c): return c.configJSON
        }
    }

    /// Parses `msg-gen.config` for `family`, checking types and values.
    static func parse(family: ModelFamily, json: String, source: String) throws(WeightsError) -> ModelConfig {
        let reader = try ConfigReader(json: json, source: source)
        switch family {
        case .msgProGAN: return .proGAN(try ProGANConfig.parse(reader))
        case .msgStyleGAN: return .styleGAN(try StyleGANConfig.parse(reader))
        }
    }
}
