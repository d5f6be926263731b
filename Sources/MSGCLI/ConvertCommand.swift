import ArgumentParser
import MSGImage
import MSGWeights
#if canImport(Glibc)
import Glibc
#endif

/// `msg-gen convert IN OUT.safetensors`: an upstream checkpoint (BMSG-GAN
/// .pth, msg-stylegan-tf / StyleGAN .pkl) to the exchange format, once.
/// Nothing in the input is executed (README, "Upstream checkpoints").
public struct ConvertCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a BMSG-GAN .pth or msg-stylegan-tf/StyleGAN .pkl to a msg-gen .safetensors file.",
        discussion: "Tensor values are copied bit for bit (float64 arrays, if any, are rounded to F32 and the source note says so). "
            + "The container is recognised by content; loading never executes code from the file."
    )

    @Argument(help: "Upstream checkpoint: torch.save state_dict (.pth, zip or legacy) or a TF network pickle (.pkl).")
    public var input: String

    @Argument(help: "Output file (.safetensors), written atomically.")
    public var output: String

    @Option(name: .long, help: "Model name to record (msg-gen.name).")
    public var name: String?

    @Option(name: .long, help: "What the model was trained on (msg-gen.dataset).")
    public var dataset: String?

    @Option(name: .long, help: "The terms the weights are under (msg-gen.license).")
    public var license: String?

    public init() {}

    public func run() throws {
        guard input != output else { throw CLIError.io("convert: the output must not be the input file (\(input))") }
        // The output may be a link (written through): never let it lead back to the input.
        let target = try OutputTarget.resolve(output)
        if target.exists, Self.sameFile(input, target.path) {
            throw CLIError.io("convert: the output \(output) is the input file (\(input)) under another name")
        }
        let converted = try ModelImporter.convert(path: input, name: name, dataset: dataset, license: license)
        try AtomicFile.write(converted.bytes, to: output)
        let model = try ModelFile.open(path: output)
        print("wrote \(output): \(model.config.family.rawValue), \(model.file.names.count) tensors, "
              + "\(model.parameterCount) parameters, resolutions \(model.config.resolutions.map { "\($0)" }.joined(separator: ","))")
        print("source: \(converted.sourceNote)")
    }

    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
