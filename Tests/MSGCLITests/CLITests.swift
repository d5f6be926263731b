import ArgumentParser
import Foundation
import Testing
@testable import MSGCLI
import MSGGen
import MSGImage
import MSGTensor

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("MSGGenTests/Fixtures")
func fixture(_ name: String) -> String { fixtures.appendingPathComponent("\(name).safetensors").path }

/// A fresh temporary directory, removed after `body`.
func inTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msg-gen-cli-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

/// Parses argv as `msg-gen` would and runs the command in-process.
func runCLI(_ args: [String]) throws {
    var command = try MSGGenCommand.parseAsRoot(args)
    try command.run()
}

@Suite struct SeedListTests {
    @Test func gridIsConsecutiveSeeds() throws {
        #expect(try SeedList.range(start: 42, count: 3) == [42, 43, 44])
        #expect(try SeedList.range(start: 4_294_967_295, count: 1) == [4_294_967_295])
    }

    @Test(arguments: [0, 1025, -1])
    func gridCountOutOfRange(_ n: Int) {
        #expect(throws: CLIError.self) { try SeedList.range(start: 0, count: n) }
    }

    @Test func gridMayNotRunPastTheLastSeed() {
        #expect(throws: CLIError.self) { try SeedList.range(start: 4_294_967_290, count: 10) }
    }

    @Test func listsAndRanges() throws {
        #expect(try SeedList.parse("1,5,10-13") == [1, 5, 10, 11, 12, 13])
        #expect(try SeedList.parse("4294967295") == [4_294_967_295])
        #expect(try SeedList.parse(" 7 , 8") == [7, 8])
    }

    @Test(arguments: ["", "1,,2", "a", "-3", "5-2", "4294967296", "1-2-3", "0-1024", "1.5"])
    func badListsAreErrors(_ text: String) {
        #expect(throws: CLIError.self) { try SeedList.parse(text) }
    }
}

@Suite struct ScaleAndWeightsTests {
    @Test func scaleSelectionParses() {
        #expect(ScaleSelection(argument: "max") == .max)
        #expect(ScaleSelection(argument: "all") == .all)
        #expect(ScaleSelection(argument: "32") == .resolution(32))
        #expect(ScaleSelection(argument: "33") == nil)
        #expect(ScaleSelection(argument: "2") == nil)
        #expect(ScaleSelection(argument: "big") == nil)
    }

    @Test func defaultWeightsComeFromTheManifest() throws {
        try inTemporaryDirectory { dir in
            try FileManager.default.createDirectory(atPath: dir + "/weights", withIntermediateDirectories: true)
            try "model.safetensors\n".write(toFile: dir + "/weights/DEFAULT", atomically: true, encoding: .utf8)
            let p = try WeightsLocator.defaultModelPath(environment: [:], currentDirectory: dir, executablePath: "/nonexistent/bin/x")
            #expect(p == dir + "/weights/model.safetensors")
            let e = try WeightsLocator.defaultModelPath(environment: ["MSG_GEN_WEIGHTS": "/x.safetensors"], currentDirectory: dir)
            #expect(e == "/x.safetensors")
        }
    }

    @Test func missingDefaultIsAClearError() throws {
        _ = try inTemporaryDirectory { dir in
            #expect(throws: CLIError.self) {
                try WeightsLocator.defaultModelPath(environment: [:], currentDirectory: dir, executablePath: dir + "/bin/x")
            }
        }
    }

    @Test func theRepositoryNamesAnExistingDefault() throws {
        let repo = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = try WeightsLocator.defaultModelPath(environment: [:], currentDirectory: repo.path, executablePath: "")
        #expect(FileManager.default.fileExists(atPath: p))
        _ = try Model.load(path: p)
    }
}

@Suite struct RenderCommandTests {
    @Test func gridPNGHoldsTheSeedsInOrder() throws {
        try inTemporaryDirectory { dir in
            let out = dir + "/grid.png"
            try runCLI(["--weights", fixture("progan-d3-l16"), "--seed", "41", "--grid", "3", "--out", out, "--batch", "2"])
            let (image, text) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
            #expect(text["Seeds"] == "41-43")
            #expect(text["Model"] == "progan-d3-l16")
            // Each cell equals the single-seed render of its seed.
            let model = try Model.load(path: fixture("progan-d3-l16"))
            let cells = try [41, 42, 43].map { s -> RGBImage in
                try RGBImage(chw: Renderer(model: model, batch: 1).forward(seeds: [UInt32(s)]).last!.slice(0))
            }
            #expect(image == Layout.grid(cells))
            #expect(try !FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.contains("tmp") })
        }
    }

    @Test func npyContractWritesEverySeedAndScale() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["--weights", fixture("stylegan-32"), "--seeds", "0,4294967295", "--format", "npy", "--scales", "all",
                        "--out", dir + "/raw", "--psi", "1"])
            let expected = try SafeTensorsReader.expected("stylegan-32")
            for seed in ["0"] {
                for r in [4, 8, 16, 32] {
                    let t = try NPY.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/raw/seed\(seed)-\(r)x\(r).npy"))))
                    #expect(t.shape == [3, r, r])
                    let want = try expected.floats("out/s0-psi1-const/\(r)")
                    #expect(zip(t.data, want).allSatisfy { abs($0 - $1) <= 2e-4 * (1 + abs($1)) })
                }
            }
            #expect(FileManager.default.fileExists(atPath: dir + "/raw/seed4294967295-32x32.npy"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/raw").count == 8)
        }
    }

    @Test func multiScaleSheetAndSingleScale() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["--weights", fixture("progan-d3-l16"), "--seeds", "1,2", "--scales", "all", "--out", dir + "/s.png"])
            let (sheet, _) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/s.png"))))
            #expect(sheet.width > sheet.height)   // 2 rows of 3 scales at 16 px
            try runCLI(["--weights", fixture("progan-d3-l16"), "--seed", "1", "--scales", "8", "--out", dir + "/e.png"])
            let (one, _) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/e.png"))))
            #expect(one.width == 8 && one.height == 8)
        }
    }

    /// Each bad argument is refused with a message naming it (not just any error:
    /// a missing weights file or a wrong family would also throw). StyleGAN flags
    /// run on an msg-stylegan model so that the family check cannot answer first.
    @Test(arguments: [
        (["--grid", "0"], "--grid must be between 1 and 1024, got 0"),
        (["--grid", "1025"], "--grid must be between 1 and 1024, got 1025"),
        (["--seed", "4294967296"], "'4294967296' is invalid for '--seed"),
        (["--seed", "-1"], "--seed"),
        (["--seeds", "9-1"], "range 9-1 runs backwards"),
        (["--scales", "7"], "'7' is invalid for '--scales"),
        (["--format", "jpg"], "'jpg' is invalid for '--format"),
        (["--batch", "0"], "--batch must be between 1 and 64, got 0"),
        (["--threads", "0"], "--threads must be between 1 and 256, got 0"),
        (["--bogus"], "Unknown option '--bogus'"),
        (["--noise-seed", "3"], "--noise-seed needs --noise random"),
        (["--psi", "nan"], "--psi must be a finite number"),
    ])
    func badArgumentsAreRejected(_ args: [String], _ message: String) {
        let weights = args[0].hasPrefix("--psi") || args[0].hasPrefix("--noise") ? fixture("stylegan-32") : fixture("progan-d1-l8")
        do {
            try runCLI(["--weights", weights, "--quiet", "--out", "/nonexistent-dir/x.png"] + args)
            Issue.record("\(args) was accepted")
        } catch {
            let text = MSGGenCommand.message(for: error)
            #expect(text.contains(message), "\(args): \(text)")
        }
    }

    @Test func runtimeErrorsNameTheProblem() throws {
        try inTemporaryDirectory { dir in
            func message(_ args: [String]) -> String {
                do { try runCLI(args); return "" } catch { return MSGGenCommand.message(for: error) }
            }
            #expect(message(["--weights", fixture("progan-d1-l8"), "--scales", "8", "--out", dir + "/x.png"]).contains("no 8x8 output"))
            #expect(message(["--weights", dir + "/missing.safetensors"]).contains("missing.safetensors"))
            #expect(message(["--weights", fixture("progan-d1-l8"), "--psi", "0.5"]).contains("msg-stylegan"))
            #expect(message(["mix", "--weights", fixture("progan-d1-l8"), "--rows", "1", "--cols", "2", "--styles", "coarse"]).contains("no w"))
            #expect(message(["mix", "--weights", fixture("stylegan-32"), "--rows", "1", "--cols", "2", "--styles", "0-8"]).contains("layers 0-7"))
            #expect(!FileManager.default.fileExists(atPath: dir + "/x.png"))
        }
    }
}

@Suite struct MixCommandTests {
    @Test func figurePresetWorksBelow1024() throws {
        try inTemporaryDirectory { dir in
            // stylegan-32 has 8 style layers: the "fine" row swaps nothing, and nothing crashes.
            try runCLI(["mix", "--weights", fixture("stylegan-32"), "--preset", "figure", "--out", dir + "/f.png"])
            let (f, text) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/f.png"))))
            #expect(f.width == Layout.grid([RGBImage](repeating: RGBImage(width: 32, height: 32, fill: (0, 0, 0)), count: 42), columns: 6).width)
            #expect(text["Rows"] == "888,829,1898,1733,1614,845")
        }
    }

    @Test func npyContractForMixing() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["mix", "--weights", fixture("stylegan-32"), "--rows", "42", "--cols", "1", "--styles", "coarse",
                        "--format", "npy", "--scales", "all", "--out", dir])
            let expected = try SafeTensorsReader.expected("stylegan-32")
            for r in [4, 8, 16, 32] {
                let t = try NPY.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/row42-col1-\(r)x\(r).npy"))))
                let want = try expected.floats("mix/r42-c1-coarse/\(r)")
                #expect(zip(t.data, want).allSatisfy { abs($0 - $1) <= 2e-4 * (1 + abs($1)) })
            }
        }
    }

    @Test func mixingAtEveryResolutionStacksFigures() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["mix", "--weights", fixture("stylegan-64-fused"), "--rows", "1,2", "--cols", "3", "--styles", "fine",
                        "--scales", "all", "--out", dir + "/m.png"])
            let (m, _) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/m.png"))))
            #expect(m.height > 4 * m.width)   // five figures, one per resolution, stacked
        }
    }
}

/// The OpenBLAS fast-core re-exec only happens in a real process: run the binary.
@Suite struct BinaryTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("msg-gen").path
    }

    func run(_ args: [String], env: [String: String] = [:]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        e["OPENBLAS_CORETYPE"] = nil
        e["MSG_GEN_BLAS_REEXEC"] = nil
        e["MSG_GEN_BF16_TWIN"] = nil
        for (k, v) in env { e[k] = v }
        p.environment = e
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func reexecutesWithTheRequestedCore() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build msg-gen first (swift build)")
        let (rc, out) = try run(["inspect", "--brief", fixture("progan-d1-l8")], env: ["MSG_GEN_BLAS_CORE": "Haswell"])
        #expect(rc == 0)
        #expect(out.contains("OpenBLAS core Haswell (OPENBLAS_CORETYPE=Haswell set by msg-gen)"))
        let (_, own) = try run(["inspect", "--brief", fixture("progan-d1-l8")], env: ["OPENBLAS_CORETYPE": "Sandybridge"])
        #expect(own.contains("from the environment"))
    }

    @Test func badArgumentExitsNonZeroWithOneErrorLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build msg-gen first (swift build)")
        let (rc, out) = try run(["--weights", fixture("progan-d1-l8"), "--grid", "0"])
        #expect(rc != 0)
        #expect(out.split(separator: "\n").first == "Error: --grid must be between 1 and 1024, got 0")
    }
}

/// Expected outputs of the golden fixtures.
enum SafeTensorsReader {
    static func expected(_ name: String) throws -> MSGWeightsFile {
        try MSGWeightsFile(path: fixtures.appendingPathComponent("\(name).expected.safetensors").path)
    }
}
