import ArgumentParser
import Foundation
import MSGGen
import MSGKernels
@_exported import MSGRender

/// Option groups shared by the subcommands that render.
public struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Weights file: .safetensors, or an upstream BMSG-GAN .pth / msg-stylegan-tf .pkl (imported in memory). Default: the model named in weights/DEFAULT.")
    public var weights: String?

    @Option(name: .long, help: "Arithmetic of the convolutions: fp32 (default, exact to ~1e-5), or bf16 (bfloat16 products summed in float32; CPUs with AVX512-BF16 only; pictures within a few 8-bit levels of fp32).")
    public var precision: Precision = .fp32

    public init() {}

    public func load() throws -> Model {
        let path = try weights ?? WeightsLocator.defaultModelPath()
        return try Model.load(path: path, precision: precision)
    }
}

public struct ComputeOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Images per forward pass (1 ... 64).")
    public var batch: Int = 8

    @Option(name: .long, parsing: .unconditional, help: "Worker threads (default: all cores).")
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

/// `--scales max|all|R` (the type lives in MSGRender, shared with the server).
extension ScaleSelection: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
    public static var defaultValueDescription: String { "max" }
}

public struct OutputOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Output scales: max, all, or a resolution such as 32.")
    public var scales: ScaleSelection = .max

    @Option(name: .long, help: "png (8-bit picture) or npy (raw float32 generator output).")
    public var format: OutputFormat = .png

    @Option(name: .long, help: "Output file for png, or a directory (DIR/ or an existing one) for one seedS.png per seed; output directory for npy (default: a name in the current directory).")
    public var out: String?

    @Flag(name: .long, help: "No progress line on stderr.")
    public var quiet = false

    public init() {}
}
