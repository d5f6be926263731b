import ArgumentParser
import MSGGen

extension NoiseMode: ExpressibleByArgument {}

/// MSG-StyleGAN knobs shared by render and mix.
public struct StyleOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Truncation psi (msg-stylegan; default: the model's, upstream 0.7; 1 = off).")
    public var psi: Double?

    @Option(name: .long, parsing: .unconditional, help: "Truncate layers below this index (default: the model's, upstream 8).")
    public var cutoff: Int?

    @Option(name: .long, help: "Noise inputs: const (stored, default), random (seeded by --noise-seed), none.")
    public var noise: NoiseMode?

    @Option(name: .customLong("noise-seed"), parsing: .unconditional, help: "Seed of --noise random (0 ... 4294967295).",
            transform: { try SeedList.seed(option: "--noise-seed", $0) })
    public var noiseSeed: UInt32?

    public init() {}

    public mutating func validate() throws {
        if let psi, !(psi.isFinite && abs(psi) <= 100) { throw ValidationError("--psi must be a finite number in -100 ... 100") }
        if let cutoff, cutoff < 0 { throw ValidationError("--cutoff must be 0 or more") }
        if noiseSeed != nil && noise != .random { throw ValidationError("--noise-seed needs --noise random") }
    }

    var givenFlags: [String] {
        [psi.map { _ in "--psi" }, cutoff.map { _ in "--cutoff" }, noise.map { _ in "--noise" }].compactMap { $0 }
    }

    /// The options for `model`; StyleGAN flags on an MSG-ProGAN model are an error.
    public func renderOptions(for model: Model) throws -> RenderOptions {
        if model.family == .msgProGAN, let flag = givenFlags.first {
            throw GenError.invalidOption("\(flag) applies to msg-stylegan models; \(model.name) is msg-progan")
        }
        return RenderOptions(psi: psi, cutoff: cutoff, noise: noise ?? .const, noiseSeed: noiseSeed ?? 0)
    }
}
