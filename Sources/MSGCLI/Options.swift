import ArgumentParser
import Foundation
import MSGGen

/// Option groups shared by the subcommands that render.
public struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Weights file: .safetensors, or an upstream BMSG-GAN .pth / msg-stylegan-tf .pkl (imported in memory). Default: the model named in weights/DEFAULT.")
    public var weights: String?

    public init() {}

    public func load() throws -> Model {
        let path = try weights ?? WeightsLocator.defaultModelPath()
        return try Model.load(path: path)
    }
}

public struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: "Images per forward pass (1 ... 64).")
    public var batch: Int = 8

    @Option(name: .long, help: "Worker threads (default: all cores).")
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    public init() {}

    public mutating func validate() throws {
        guard (1...64).contains(batch) else { throw ValidationError("--batch must be between 1 and 64, got \(batch)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }
}

public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case png, npy
}

/// `--scales max|all|R`.
public enum ScaleSelection: Equatable, Sendable, ExpressibleByArgument {
    case max, all, resolution(Int)

    public init?(argument: String) {
        switch argument {
        case "max": self = .max
        case "all": self = .all
        default:
            guard let r = Int(argument), r >= 4, r <= 8192, r & (r - 1) == 0 else { return nil }
            self = .resolution(r)
        }
    }

    public static var defaultValueDescription: String { "max" }

    /// Indices into the model's outputs (4x4 first).
    public func indices(in model: Model) throws -> [Int] {
        switch self {
        case .max: [model.resolutions.count - 1]
        case .all: Array(model.resolutions.indices)
        case .resolution(let r): [try model.scaleIndex(r)]
        }
    }
}

public struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output scales: max, all, or a resolution such as 32.")
    public var scales: ScaleSelection = .max

    @Option(name: .long, help: "png (8-bit picture) or npy (raw float32 generator output).")
    public var format: OutputFormat = .png

    @Option(name: .long, help: "Output file for png; output directory for npy (default: a name in the current directory).")
    public var out: String?

    @Flag(name: .long, help: "No progress line on stderr.")
    public var quiet = false

    public init() {}
}
