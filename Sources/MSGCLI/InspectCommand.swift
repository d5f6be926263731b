import ArgumentParser
import Foundation
import MSGKernels
import MSGWeights

/// `msg-gen inspect FILE`: what a weights file holds.
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a weights file's container, family, config, resolutions, parameter count and tensors (.safetensors, .pth, .pkl)."
    )

    @Argument(help: "Weights file: .safetensors, BMSG-GAN .pth (torch zip or legacy) or msg-stylegan-tf/StyleGAN .pkl.")
    public var file: String

    @Flag(name: .long, help: "Omit the tensor table.")
    public var brief = false

    public init() {}

    public func run() throws {
        let m = try ModelFile.open(path: file)
        var lines: [String] = []
        lines.append("file:        \(file)")
        lines.append("container:   \(m.container.rawValue)\(m.container == .safetensors ? "" : " (imported in memory; nothing in it executed)")")
        lines.append("name:        \(m.name)")
        lines.append("family:      \(m.config.family.rawValue)")
        switch m.config {
        case .proGAN(let c): lines.append("config:      \(c.configJSON)")
        case .styleGAN(let c): lines.append("config:      \(c.configJSON)")
        }
        lines.append("resolutions: \(m.config.resolutions.map { "\($0)x\($0)" }.joined(separator: ", "))")
        if let lod = m.progressiveLod, lod.stored != 0 {
            lines.append("lod:         " + Self.lodLine(lod, resolutions: m.config.resolutions))
        }
        lines.append("parameters:  \(m.parameterCount) (\(String(format: "%.2f", Double(m.parameterCount) / 1e6)) M)")
        if let d = m.dataset { lines.append("dataset:     \(d)") }
        if let l = m.license { lines.append("license:     \(l)") }
        if let s = m.sourceNote { lines.append("source:      \(s)") }
        lines.append("blas:        OpenBLAS core \(BLAS.coreName) (\(BLAS.coreNote)); own kernels \(BLAS.kernelISA)")
        if !brief {
            lines.append("")
            let rows = m.file.names.compactMap { m.file.tensors[$0] }
            let width = rows.map(\.name.count).max() ?? 4
            lines.append("tensor".padding(toLength: width, withPad: " ", startingAt: 0) + "  dtype  shape")
            for t in rows {
                lines.append(t.name.padding(toLength: width, withPad: " ", startingAt: 0)
                             + "  " + t.dtype.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                             + "  [" + t.shape.map(String.init).joined(separator: ", ") + "]")
            }
        }
        print(lines.joined(separator: "\n"))
    }

    /// "saved at lod 1.5 (mid progressive growing): the 32x32 output is ..."
    static func lodLine(_ lod: ProgressiveLod, resolutions: [Int]) -> String {
        let head = "saved at lod \(lod.stored) (\(lod.tensor); mid progressive growing)"
        guard lod.applied else { return head + ": ignored, as upstream does for structure 'fixed'" }
        let top = resolutions.count + 1, level = Int(lod.stored.rounded(.down))
        let r = 1 << (top - level), full = resolutions.last ?? 0
        let what = lod.stored == Float(level)
            ? "the \(r)x\(r) to-RGB output"
            : "the \(r)x\(r) to-RGB output blended with the \(r / 2)x\(r / 2) one (t = \(lod.stored - Float(level)))"
        return head + ": the \(full)x\(full) output is \(what) scaled up, as upstream's Gs.run renders it; smaller outputs are each block's own"
    }
}
