// MARK: - ModelFamily

/// The `msg-gen.family` metadata value.
public enum ModelFamily: String, Sendable, CaseIterable {
    case msgProGAN = "msg-progan"
    case msgStyleGAN = "msg-stylegan"

    /// Upstream variables a file may carry that are not weights: left out of
    /// the tensor-set check and the parameter count. For msg-stylegan these are
    /// StyleGAN v1's progressive-growing levels, which `ProgressiveLod` reads.
    public var ignoredTensorNames: Set<String> {
        switch self {
        case .msgProGAN: return []
        case .msgStyleGAN: return Set(ProgressiveLod.tensorNames)
        }
    }
}
