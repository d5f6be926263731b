import ArgumentParser
import Foundation
import MSGGen
import MSGImage
import MSGKernels
import MSGTensor
import MSGWeights

/// `msg-gen bench`: ms per image, GFLOP/s and peak memory for random models of
/// the paper's shapes, after a line describing the machine and its SGEMM peak.
public struct BenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the engine on random weights of the upstream shapes."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Models: \(BenchModel.allCases.map(\.rawValue).joined(separator: ", ")).")
    public var models: [BenchModel] = BenchModel.allCases

    @Option(name: .long, parsing: .upToNextOption, help: "Batch sizes.")
    public var batches: [Int] = [1, 8]

    @Option(name: .long, parsing: .unconditional, help: "Timed iterations per configuration (after one warm-up).")
    public var iterations: Int = 5

    @Option(name: .long, parsing: .unconditional, help: "Worker threads (default: all cores).")
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, parsing: .upToNextOption, help: "Benchmark these weights files instead of the random models.")
    public var weights: [String] = []

    @Flag(name: .long, help: "Also print a per-layer time breakdown.")
    public var profile = false

    @Flag(name: .long, help: "Skip the SGEMM peak measurement.")
    public var noPeak = false

    @Option(name: .customLong("png-seeds"), help: "Instead of the engine: time PNG encoder settings on one grid of this many seeds per model (0: off).")
    public var pngSeeds: Int = 0

    @Option(name: .customLong("conv-path"), help: "Conv path of every layer: auto (default), gemm (im2col + sgemm everywhere, the first engine), direct, winograd.")
    public var convPath: ConvPathOption = .auto

    @Option(name: .long, parsing: .upToNextOption, help: "Arithmetic of the convolutions, each in turn: fp32, bf16 (AVX512-BF16 CPUs). A bf16 row's model is labelled +bf16.")
    public var precision: [Precision] = [.fp32]

    public init() {}

    public mutating func validate() throws {
        guard (1...1000).contains(iterations) else { throw ValidationError("--iterations must be 1 ... 1000") }
        guard batches.allSatisfy({ (1...64).contains($0) }) else { throw ValidationError("--batches must be 1 ... 64") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1 ... 256") }
        guard (0...1024).contains(pngSeeds) else { throw ValidationError("--png-seeds must be 0 ... 1024") }
    }

    public func run() throws {
        for p in precision { try p.require() }
        print(Bench.machineLine(threads: threads))
        if pngSeeds > 0 { return try runPNG() }
        let peak = noPeak ? Double.nan : Bench.sgemmPeak(threads: threads)
        if !noPeak { print(String(format: "sgemm peak: %.1f GFLOP/s (2048^3, %d threads, median of 5)", peak, threads)) }
        print("model            batch   ms/img   min ms/img   GFLOP/img   GFLOP/s   %peak   peak RSS MB")
        fflush(nil)
        let strategy = convPath.strategy
        let named: [(String, (Precision) throws -> Model)] = weights.isEmpty
            ? models.map { m in (m.rawValue, { try m.load(strategy: strategy, precision: $0) }) }
            : weights.map { w in (URL(fileURLWithPath: w).deletingPathExtension().lastPathComponent,
                                  { try Model(file: ModelFile.open(path: w), strategy: strategy, precision: $0) }) }
        // Each model in every precision, side by side.
        let sources = named.flatMap { (label, make) in
            precision.map { p in (p == .fp32 ? label : label + "+" + p.rawValue, { try make(p) }) }
        }
        for (label, make) in sources {
            let model = try make()
            for b in batches {
                let r = try Bench.measure(model: model, batch: b, threads: threads, iterations: iterations, profile: profile)
                let gflops = model.flopsPerImage / (r.msPerImage * 1e6)
                // Two decimals below 10 ms (small models' ratios in tools/loadtest.sh); no peak: "-".
                let digits: Int32 = r.msPerImage < 10 ? 2 : 1
                let pct = noPeak ? "      -" : String(format: "%6.0f%%", 100 * gflops / peak)
                print(String(format: "%-15@ %6d %8.*f %12.*f %11.1f %9.1f %@ %12.0f",
                             label as NSString, b, digits, r.msPerImage, digits, r.minMsPerImage, model.flopsPerImage / 1e9,
                             gflops, pct as NSString, r.peakRSSMB))
                if let p = r.profile {
                    let total = p.order.reduce(0.0) { $0 + p.seconds[$1]! }
                    for label in p.order {
                        let ms = p.seconds[label]! * 1000 / Double(p.passes * b)
                        let best = (p.best[label] ?? 0) * 1000 / Double(b)
                        print(String(format: "    %-48@ %8.2f ms/img (min %7.2f) %5.1f%%", label as NSString, ms, best,
                                     100 * p.seconds[label]! / total))
                    }
                }
                fflush(nil)
            }
        }
    }
}

public enum BenchModel: String, ExpressibleByArgument, CaseIterable, Sendable {
    case progan128 = "progan-128", progan256 = "progan-256", progan1024 = "progan-1024"
    case stylegan128small = "stylegan-128s", stylegan256 = "stylegan-256", stylegan1024 = "stylegan-1024"

    /// The random model's bytes, written to an unnamed file and memory-mapped
    /// as a user's weights would be (so peak RSS counts the weights once).
    func load(strategy: ConvLayer.Strategy = .auto, precision: Precision = .fp32) throws -> Model {
        let bytes: [UInt8]
        switch self {
        case .progan128: bytes = RandomModels.proGANBytes(depth: 6, latentSize: 512, name: rawValue)
        case .progan256: bytes = RandomModels.proGANBytes(depth: 7, latentSize: 512, name: rawValue)
        case .progan1024: bytes = RandomModels.proGANBytes(depth: 9, latentSize: 512, name: rawValue)
        case .stylegan128small:
            // A small 128 px configuration: a quarter of the upstream widths.
            var c = StyleGANConfig(resolution: 128)
            c.fmapBase = 2048; c.fmapMax = 128; c.latentSize = 128; c.dlatentSize = 128; c.mappingFmaps = 128
            bytes = RandomModels.styleGANBytes(c, name: rawValue)
        case .stylegan256: bytes = RandomModels.styleGANBytes(StyleGANConfig(resolution: 256), name: rawValue)
        case .stylegan1024: bytes = RandomModels.styleGANBytes(StyleGANConfig(resolution: 1024), name: rawValue)
        }
        // A file with no name (O_TMPFILE): nothing is left behind if the bench is
        // killed. Where unsupported, the bytes load from memory (then they count in RSS).
        guard let fd = AtomicFile.unnamedCopy(of: bytes, in: FileManager.default.temporaryDirectory.path) else {
            let file = try SafeTensorsFile(bytes: bytes, source: rawValue)
            return try Model(file: ModelFile(file: file, fallbackName: rawValue), strategy: strategy, precision: precision)
        }
        defer { close(fd) }   // the mapping keeps the file alive
        return try Model(file: ModelFile.open(path: "/proc/self/fd/\(fd)"), strategy: strategy, precision: precision)
    }
}

extension Precision: ExpressibleByArgument {}

public enum ConvPathOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, gemm, direct, winograd

    var strategy: ConvLayer.Strategy {
        switch self {
        case .auto: .auto
        case .gemm: .gemm
        case .direct: .direct
        case .winograd: .winograd
        }
    }
}

enum Bench {
    struct Result { var msPerImage: Double; var minMsPerImage: Double; var peakRSSMB: Double; var profile: LayerProfile? }

    static func measure(model: Model, batch: Int, threads: Int, iterations: Int, profile: Bool = false) throws -> Result {
        resetPeakRSS()
        let renderer = Renderer(model: model, batch: batch, threads: threads)
        let seeds = (0..<batch).map { UInt32($0) }
        _ = try renderer.forward(seeds: seeds)   // warm-up: plans buffers, faults pages in
        var times: [Double] = []
        for _ in 0..<iterations {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try renderer.forward(seeds: seeds)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / Double(batch))
        }
        times.sort()
        let rss = peakRSSMB()
        var layers: LayerProfile?
        if profile {
            // Separate passes, so timing the layers cannot perturb the figures above.
            layers = LayerProfile()
            renderer.profile = layers
            for _ in 0..<iterations { _ = try renderer.forward(seeds: seeds) }
            renderer.profile = nil
        }
        return Result(msPerImage: times[times.count / 2], minMsPerImage: times[0], peakRSSMB: rss, profile: layers)
    }

    static func sgemmPeak(threads: Int) -> Double {
        let n = 2048
        let a = AlignedBuffer(count: n * n), b = AlignedBuffer(count: n * n), c = AlignedBuffer(count: n * n)
        for i in 0..<(n * n) { a.pointer[i] = Float(i % 7) * 0.1; b.pointer[i] = Float(i % 5) * 0.1 }
        BLAS.setThreads(threads)
        var best: [Double] = []
        for _ in 0..<6 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            BLAS.sgemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            best.append(2 * Double(n * n * n) / Double(DispatchTime.now().uptimeNanoseconds - t0))
        }
        BLAS.setThreads(1)   // as the engine runs (BLAS.setThreads)
        best.removeFirst()
        best.sort()
        return best[best.count / 2]
    }

    static func machineLine(threads: Int) -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let cfg = BLAS.configuration.trimmingCharacters(in: .whitespaces)
        return "machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(threads) threads; "
            + "OpenBLAS core \(BLAS.coreName) (\(BLAS.coreNote)); \(cfg); own kernels \(BLAS.kernelISA)"
    }

    /// Linux: writing 5 to clear_refs resets the peak-RSS mark (VmHWM).
    static func resetPeakRSS() {
        if let f = fopen("/proc/self/clear_refs", "w") { fputs("5", f); fclose(f) }
    }

    static func peakRSSMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kb / 1024
    }
}
