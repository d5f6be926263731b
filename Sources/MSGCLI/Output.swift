import Foundation
import MSGGen
import MSGImage
import MSGTensor

/// What every output file records: enough to re-render it.
public struct ImageMetadata {
    public var pngText: [(key: String, value: String)]

    public init(model: Model, seeds: [UInt32], options: RenderOptions, scales: ScaleSelection, extra: [(String, String)] = []) {
        var t: [(key: String, value: String)] = [
            ("Software", "msg-gen"),
            ("Model", model.name),
            ("Family", model.family.rawValue),
            ("Seeds", Output.describe(seeds)),
            ("Scales", Output.describe(scales, model: model)),
        ]
        if model.family == .msgStyleGAN {
            t.append(("Truncation", options.psi.map { "psi \($0)" } ?? "model default"))
            t.append(("Noise", options.noise == .random ? "random, noise seed \(options.noiseSeed)" : options.noise.rawValue))
        }
        for (k, v) in extra { t.append((k, v)) }
        pngText = t
    }
}

public enum Output {
    /// Largest picture one command writes (RGB pixels): keeps memory bounded.
    public static let maxPixels = 1 << 28

    public static func checkPixelBudget(model: Model, count: Int, scales: [Int]) throws(CLIError) {
        let rmax = scales.map { model.resolutions[$0] }.max() ?? 0
        let pixels = count * rmax * rmax * scales.count
        guard pixels <= maxPixels else {
            throw .outputTooLarge("the picture would hold \(pixels) pixels (limit \(maxPixels)); render fewer seeds or scales, or use --format npy")
        }
    }

    /// One image -> itself; several -> a grid; several scales -> the multi-scale sheet.
    public static func compose(_ images: [[RGBImage]], allScales: Bool) -> RGBImage {
        if allScales { return Layout.multiScaleSheet(images) }
        let flat = images.map { $0[0] }
        return flat.count == 1 ? flat[0] : Layout.grid(flat)
    }

    public static func defaultName(model: Model, seeds: [UInt32], scales: ScaleSelection) -> String {
        let s: String
        switch scales {
        case .max: s = ""
        case .all: s = "-all"
        case .resolution(let r): s = "-\(r)px"
        }
        let contiguous = seeds.count > 1 && zip(seeds, seeds.dropFirst()).allSatisfy { $1 == $0 &+ 1 }
        let seedPart = seeds.count == 1 ? "seed\(seeds[0])"
            : contiguous ? "seeds\(seeds[0])-\(seeds.last!)" : "seeds\(seeds[0])-n\(seeds.count)"
        return "\(model.name)-\(seedPart)\(s).png"
    }

    public static func describe(_ seeds: [UInt32]) -> String {
        var parts: [String] = []
        var i = 0
        while i < seeds.count {
            var j = i
            while j + 1 < seeds.count && seeds[j + 1] == seeds[j] &+ 1 && seeds[j + 1] != 0 { j += 1 }
            parts.append(j > i ? "\(seeds[i])-\(seeds[j])" : "\(seeds[i])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    public static func describe(_ scales: ScaleSelection, model: Model) -> String {
        switch scales {
        case .max: "\(model.resolutions.last!)"
        case .all: model.resolutions.map(String.init).joined(separator: ",")
        case .resolution(let r): "\(r)"
        }
    }

    public static func writePNG(_ image: RGBImage, text: [(key: String, value: String)], to path: String) throws {
        try AtomicFile.write(try PNG.encode(image, text: text), to: path)
    }

    public static func writeNPY(_ t: Tensor, to path: String) throws {
        try AtomicFile.write(NPY.encode(t), to: path)
    }

    public static func makeDirectory(_ dir: String) throws(CLIError) {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create output directory \(dir): \(error.localizedDescription)")
        }
    }
}
