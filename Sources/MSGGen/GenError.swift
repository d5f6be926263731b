import MSGWeights

/// Errors of the model layer; each names the model and what is wrong.
public enum GenError: Error, CustomStringConvertible, Equatable {
    case wrongFamily(String, expected: ModelFamily)
    case unsupported(String, String)
    case scaleNotInModel(String, Int, available: [Int])
    case styleRange(String, String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .wrongFamily(m, expected): "\(m): not an \(expected.rawValue) model"
        case let .unsupported(m, what): "\(m): unsupported configuration: \(what)"
        case let .scaleNotInModel(m, r, available):
            "\(m): no \(r)x\(r) output; this model renders \(available.map { "\($0)" }.joined(separator: ", "))"
        case let .styleRange(m, what): "\(m): \(what)"
        case let .invalidOption(what): what
        }
    }
}
