/// Errors of the command line; printed as one line, exit status 1.
public enum CLIError: Error, CustomStringConvertible, Equatable {
    case badSeeds(String)
    case badShard(String)
    case badScale(String)
    case noDefaultWeights(searched: [String])
    case outputTooLarge(String)
    case io(String)

    public var description: String {
        switch self {
        case .badSeeds(let m): m
        case .badShard(let m): m
        case .badScale(let m): m
        case .noDefaultWeights(let searched):
            "no --weights given and no default model found (looked for \(searched.joined(separator: ", ")))"
        case .outputTooLarge(let m): m
        case .io(let m): m
        }
    }
}
