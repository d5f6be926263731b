import Foundation
import Testing
@testable import MSGCLI
import MSGImage
#if canImport(Glibc)
import Glibc
#endif

/// Every writer of the CLI (PNG, .npy files in a directory, `convert`) goes
/// through AtomicFile and its output-path rule.
@Suite struct OutputPathCLITests {
    static func message(_ args: [String]) -> String? {
        do { try runCLI(args); return nil } catch { return "\(error)" }
    }

    @Test func pngToAFIFOOrDeviceIsRefused() throws {
        try inTemporaryDirectory { dir in
            mkfifo(dir + "/pipe", 0o644)
            let m = Self.message(["--weights", fixture("progan-d1-l8"), "--seed", "1", "--out", dir + "/pipe", "--quiet"])
            #expect(m == "will not write \(dir)/pipe: it is a FIFO (named pipe); msg-gen only creates or replaces regular files")
            let node = mknod(dir + "/null", S_IFCHR | 0o666, deviceNumber(1, 3)) == 0 ? dir + "/null" : "/dev/null"
            let d = Self.message(["--weights", fixture("progan-d1-l8"), "--seed", "1", "--out", node, "--quiet"])
            #expect(d?.contains("it is a character device") == true)
            #expect(OutputTarget.kind(of: node).0 == .characterDevice)
        }
    }

    @Test func npyDirectoryMustBeADirectory() throws {
        try inTemporaryDirectory { dir in
            mkfifo(dir + "/pipe", 0o644)
            let m = Self.message(["--weights", fixture("progan-d1-l8"), "--seed", "1", "--format", "npy", "--out", dir + "/pipe", "--quiet"])
            #expect(m?.contains("it is a FIFO (named pipe), not a directory") == true)
            // A FIFO where one .npy file goes: refused by name, the other files written whole.
            try FileManager.default.createDirectory(atPath: dir + "/raw", withIntermediateDirectories: false)
            mkfifo(dir + "/raw/seed1-4x4.npy", 0o644)
            let f = Self.message(["--weights", fixture("progan-d1-l8"), "--seed", "1", "--format", "npy", "--out", dir + "/raw", "--quiet"])
            #expect(f?.contains("seed1-4x4.npy: it is a FIFO") == true)
            #expect(OutputTarget.kind(of: dir + "/raw/seed1-4x4.npy").0 == .fifo)
        }
    }

    @Test func convertWritesThroughALinkButNeverOverItsInput() throws {
        try inTemporaryDirectory { dir in
            let input = ProgressiveInput.pickle
            // A link to the input: refusing keeps the source safe.
            symlink(input, dir + "/same.safetensors")
            let m = Self.message(["convert", input, dir + "/same.safetensors"])
            #expect(m?.contains("is the input file") == true)
            // A link to another file: that file is replaced, the link stays.
            try AtomicFile.write([0], to: dir + "/real.safetensors")
            symlink("real.safetensors", dir + "/link.safetensors")
            try runCLI(["convert", input, dir + "/link.safetensors"])
            #expect(OutputTarget.kind(of: dir + "/link.safetensors").0 == .symbolicLink)
            #expect((try Data(contentsOf: URL(fileURLWithPath: dir + "/real.safetensors"))).count > 1000)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.safetensors", "real.safetensors", "same.safetensors"])
        }
    }
}

enum ProgressiveInput {
    static let pickle = fixtures.appendingPathComponent("upstream/stylegan-32.pkl").path
}

/// A process killed while writing leaves nothing half-written and no
/// temporary file: the writer is paused halfway by MSG_GEN_TEST_WRITE_PAUSE
/// (it creates the marker file, then waits), so no timing is involved.
@Suite(.serialized) struct KilledWriteTests {
    static let deadline: TimeInterval = 300

    /// Starts msg-gen writing `out`, waits until it is paused mid-write, sends `signal`.
    func killMidWrite(_ args: [String], signal: Int32, env: [String: String] = [:], in dir: String) throws -> Process {
        let marker = dir + "/paused"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BinaryTests.binary)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        e["MSG_GEN_TEST_WRITE_PAUSE"] = marker
        for (k, v) in env { e[k] = v }
        p.environment = e
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let start = Date()
        while !FileManager.default.fileExists(atPath: marker) {
            guard p.isRunning, Date().timeIntervalSince(start) < Self.deadline else {
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                p.waitUntilExit()
                Issue.record("msg-gen never reached the paused write (exit \(p.terminationStatus))")
                return p
            }
            usleep(20_000)
        }
        kill(p.processIdentifier, signal)
        while p.isRunning && Date().timeIntervalSince(start) < Self.deadline { usleep(20_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            Issue.record("signal \(signal) did not end the paused process")
        }
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == signal)
        return p
    }

    static let cases: [(signal: Int32, namedTemporary: Bool)] = [(SIGKILL, false), (SIGTERM, false), (SIGTERM, true), (SIGINT, true)]

    @Test(arguments: cases)
    func pngKilledMidWrite(_ c: (signal: Int32, namedTemporary: Bool)) throws {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        try inTemporaryDirectory { dir in
            let out = dir + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
            try AtomicFile.write([1, 2, 3], to: out + "/grid.png")
            _ = try killMidWrite(["--weights", fixture("progan-d3-l16"), "--seed", "1", "--grid", "4", "--out", out + "/grid.png", "--quiet"],
                                 signal: c.signal, env: c.namedTemporary ? ["MSG_GEN_TEST_NO_TMPFILE": "1"] : [:], in: dir)
            #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["grid.png"], "no temporary file left")
            #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/grid.png"))) == [1, 2, 3], "the old file stays whole")
        }
    }

    @Test func npyKilledMidWriteLeavesNothing() throws {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        try inTemporaryDirectory { dir in
            let out = dir + "/raw"
            _ = try killMidWrite(["--weights", fixture("progan-d3-l16"), "--seed", "1", "--format", "npy", "--out", out, "--quiet"],
                                 signal: SIGKILL, in: dir)
            #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
        }
    }
}

/// Linux's dev_t for small major/minor numbers (glibc's makedev is a macro Swift does not import).
func deviceNumber(_ major: UInt64, _ minor: UInt64) -> dev_t { dev_t((major << 8) | minor) }
