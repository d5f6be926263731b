import Foundation
import MSGGen
import MSGImage
import MSGRender
import MSGTensor

public enum Output {
    /// Largest picture one command writes (RGB pixels): keeps memory bounded.
    public static let maxPixels = 1 << 28

    public static func checkPixelBudget(model: Model, count: Int, scales: [Int]) throws(CLIError) {
        let pixels = Pictures.pixelCount(model: model, count: count, scaleIndices: scales)
        guard pixels <= maxPixels else {
            throw .outputTooLarge("the picture would hold \(pixels) pixels (limit \(maxPixels)); render fewer seeds or scales, or use --format npy")
        }
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

    /// Every output file goes through `AtomicFile` (OutputTarget's rule for
    /// what may be replaced; nothing half-written or temporary left behind).
    public static func writePNGBytes(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(bytes, to: path)
    }

    /// A picture streamed to `path` while `produce` renders and encodes it
    /// (`AtomicFile.stream`: the path is checked first, the file appears whole
    /// or not at all, and the PNG is never held in memory).
    public static func streamPNG(to path: String, _ produce: (any ByteSink) throws -> Void) throws {
        try AtomicFile.stream(to: path) { stream in try produce(stream) }
    }

    public static func writeNPY(_ t: Tensor, to path: String) throws {
        try AtomicFile.write(NPY.encode(t), to: path)
    }

    /// `--out DIR` for .npy files: an existing directory (or a link to one), or
    /// a new one; a file, device, FIFO or socket there is refused by kind.
    public static func makeDirectory(_ dir: String) throws {
        if try OutputTarget.checkDirectory(dir) { return }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw CLIError.io("cannot create output directory \(dir): \(error.localizedDescription)")
        }
    }
}
