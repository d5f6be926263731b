import Foundation
import Testing
import MSGImage
import MSGKernels
import MSGGen

/// `--precision bf16` on the shipped face models: 8-bit pixels within 2 levels
/// of float32 for at least 99.9% of values, never more than 8 (issue 19's
/// accuracy goal; `tools/bench/bf16_accuracy.py` measures it on seeds 0-499:
/// the models of 2026-11-30 99.98% / worst 7 (faces-stylegan-64) and 99.99% /
/// worst 4 (faces-progan-64); the faces-stylegan-64 of 2026-12-01 measured
/// on the portable twins at 99.945% / worst 6 on these 48 seeds).
/// Needs a CPU with AVX512-BF16 (the model refuses bf16 elsewhere; the kernels'
/// portable twins are tested on every CPU in MSGKernelsTests/BF16Tests).
@Suite struct BF16ModelTests {
    static let runs = Precision.bf16Supported && KernelISA.active == .avx512

    static func shipped(_ name: String) -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("weights").appendingPathComponent(name).path
    }

    @Test(.enabled(if: runs), arguments: ["faces-stylegan-64.safetensors", "faces-progan-64.safetensors"])
    func facesStayWithinTwoLevels(_ file: String) throws {
        let fp32 = try Model.load(path: Self.shipped(file))
        let bf16 = try Model.load(path: Self.shipped(file), precision: .bf16)
        #expect(bf16.precision == .bf16 && fp32.precision == .fp32)
        let seeds = (0..<48).map(UInt32.init)
        let options = RenderOptions(psi: fp32.family == .msgStyleGAN ? 1 : nil)
        func render(_ m: Model) throws -> [[Float]] {
            let r = Renderer(model: m, batch: 8, threads: 2)
            var scales: [[Float]] = []
            for start in stride(from: 0, to: seeds.count, by: 8) {
                let out = try r.forward(seeds: Array(seeds[start..<min(seeds.count, start + 8)]), options: options)
                if scales.isEmpty { scales = out.map(\.data) } else { for s in out.indices { scales[s] += out[s].data } }
            }
            return scales
        }
        Self.expectWithinTwoLevels(file, fp32: try render(fp32), bf16: try render(bf16))
    }

    /// The same bound on every CPU: the binary with `MSG_GEN_BF16_TWIN=1` runs
    /// bf16 on the kernels' portable twins where VDPBF16PS is missing (their
    /// bits are the vector bodies' but for the input-stationary direct body's
    /// summation order, BF16Tests), so a shipped model that bf16 moves too far
    /// fails here whatever CI's CPU is.
    @Test(arguments: ["faces-stylegan-64.safetensors", "faces-progan-64.safetensors"])
    func facesStayWithinTwoLevelsOnEveryCPU(_ file: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        let model = try Model.load(path: Self.shipped(file))
        try inTemporaryDirectory { dir in
            func render(_ precision: String) throws -> [[Float]] {
                let out = dir + "/" + precision
                var args = ["--weights", Self.shipped(file), "--seeds", "0-47", "--format", "npy", "--scales", "all",
                            "--out", out, "--precision", precision, "--quiet"]
                if model.family == .msgStyleGAN { args += ["--psi", "1"] }
                let (rc, message) = try BinaryTests().run(args, env: ["MSG_GEN_BF16_TWIN": "1"])
                try #require(rc == 0, "\(message)")
                return try model.resolutions.map { r in
                    try (0..<48).flatMap { seed in
                        try NPY.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(out)/seed\(seed)-\(r)x\(r).npy")))).data
                    }
                }
            }
            Self.expectWithinTwoLevels(file, fp32: try render("fp32"), bf16: try render("bf16"))
        }
    }

    /// Issue 19's bound on 8-bit values (PixelMapping), scale by scale.
    static func expectWithinTwoLevels(_ file: String, fp32 a: [[Float]], bf16 b: [[Float]]) {
        var within = 0, total = 0, worst = 0, raw = 0.0, rawRef = 0.0
        for s in a.indices {
            for (x, y) in zip(a[s], b[s]) {
                let d = abs(Int(PixelMapping.toUInt8(x)) - Int(PixelMapping.toUInt8(y)))
                worst = max(worst, d); total += 1
                if d <= 2 { within += 1 }
                raw += Double((x - y) * (x - y)); rawRef += Double(x * x)
            }
        }
        let share = Double(within) / Double(total)
        print("\(file) bf16: \(100 * share)% within 2 levels, worst \(worst), raw relative RMS \((raw / rawRef).squareRoot())")
        #expect(total > 0 && a.count == b.count)
        #expect(share >= 0.999)
        #expect(worst <= 8)
        #expect(a.last! != b.last!, "bf16 ran float32")
    }

    /// float32 stays what it was: a model built for bf16 does not change the
    /// float32 model's bits (the golden tests pin those).
    @Test(.enabled(if: runs)) func float32IsUntouched() throws {
        let path = Self.shipped("faces-stylegan-64.safetensors")
        let before = try Renderer(model: Model.load(path: path), batch: 2, threads: 2).forward(seeds: [1, 2])
        _ = try Model.load(path: path, precision: .bf16)
        let after = try Renderer(model: Model.load(path: path), batch: 2, threads: 2).forward(seeds: [1, 2])
        #expect(before.map(\.data) == after.map(\.data))
    }
}

/// The CLI side of `--precision`: bf16 pictures say so in their PNG text (and
/// float32 ones do not: their bytes are unchanged), and where bf16 cannot run
/// the command fails before writing anything, naming the reason.
@Suite struct PrecisionCLITests {
    @Test(.enabled(if: BF16ModelTests.runs)) func bf16PicturesNameTheirPrecision() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["--weights", fixture("stylegan-32"), "--seed", "3", "--out", dir + "/b.png", "--precision", "bf16", "--quiet"])
            try runCLI(["--weights", fixture("stylegan-32"), "--seed", "3", "--out", dir + "/f.png", "--quiet"])
            let (_, bText) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/b.png"))))
            let (_, fText) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/f.png"))))
            #expect(bText["Precision"] == "bf16")
            #expect(fText["Precision"] == nil)
        }
    }

    /// MSG_GEN_ISA=avx2 (or a CPU without AVX512-BF16): exit 1, one error line, no file.
    @Test(.enabled(if: KernelISA.avx2.isSupported)) func bf16WhereItCannotRunIsAnError() throws {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        try inTemporaryDirectory { dir in
            let (rc, out) = try BinaryTests().run(["--weights", fixture("progan-d3-l16"), "--seed", "1", "--out", dir + "/x.png",
                                                   "--precision", "bf16"], env: ["MSG_GEN_ISA": "avx2"])
            #expect(rc == 1)
            #expect(out.contains("--precision bf16:") && out.contains("use --precision fp32"), "\(out)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }
}
