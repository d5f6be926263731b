// MARK: - ModelFamily

/// The `msg-gen.family` metadata value.
public enum ModelFamily: String, Sendable, CaseIterable {
    case msgProGAN = "msg-progan"
    case msgStyleGAN = "msg-stylegan"

    /// Upstream variables a file may carry that no part of the generator uses
    /// (FORMAT.md: "may be present and are ignored").
    public var ignoredTensorNames: Set<String> {
        switch self {
        case .msgProGAN: return []
        case .msgStyleGAN: return ["G_synthesis/lod"] // StyleGAN v1's progressive-growing level
        }
    }
}
