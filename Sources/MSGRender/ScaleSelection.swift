import MSGGen

/// Which outputs a picture shows: the largest, all of them (multi-scale
/// sheet), or one resolution. `--scales` on the command line, `scale=` over HTTP.
public enum ScaleSelection: Equatable, Hashable, Sendable {
    case max, all, resolution(Int)

    /// `max`, `all`, or a power of two 4 ... 8192.
    public init?(text: String) {
        switch text {
        case "max": self = .max
        case "all": self = .all
        default:
            guard let r = Int(text), r >= 4, r <= 8192, r & (r - 1) == 0 else { return nil }
            self = .resolution(r)
        }
    }

    /// Indices into the model's outputs (4x4 first).
    public func indices(in model: Model) throws -> [Int] {
        switch self {
        case .max: [model.resolutions.count - 1]
        case .all: Array(model.resolutions.indices)
        case .resolution(let r): [try model.scaleIndex(r)]
        }
    }

    /// How PNG text and logs name it: the resolutions it selects.
    public func describe(in model: Model) -> String {
        switch self {
        case .max: "\(model.resolutions.last!)"
        case .all: model.resolutions.map(String.init).joined(separator: ",")
        case .resolution(let r): "\(r)"
        }
    }
}
