import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 14, items 5 and 6 through the real binary: a FIFO as `--weights`
/// (inspect, render, serve) exits with one error line instead of hanging, and
/// a look-alike file is named for what it is.
@Suite struct WeightsPathTests {
    /// Runs msg-gen with output to a file; nil when it still runs after `seconds` (then killed).
    func run(_ args: [String], seconds: Double = 60) throws -> (Int32, String)? {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        return try inTemporaryDirectory { dir in
            let log = dir + "/out.txt"
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: BinaryTests.binary)
            p.arguments = args
            p.standardOutput = handle
            p.standardError = handle
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            try p.run()
            let deadline = Date().addingTimeInterval(seconds)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning {
                p.terminate()
                p.waitUntilExit()
                return nil
            }
            try handle.close()
            return (p.terminationStatus, String(decoding: try Data(contentsOf: URL(fileURLWithPath: log)), as: UTF8.self))
        }
    }

    static let commands: [[String]] = [
        ["inspect", "FIFO"],
        ["--weights", "FIFO", "--seed", "1"],
        ["serve", "--port", "0", "--weights", "FIFO"],
    ]

    @Test(arguments: 0..<3)
    func fifoAsWeightsExitsWithOneErrorLine(_ command: Int) throws {
        try inTemporaryDirectory { dir in
            let fifo = dir + "/GAN_GEN_8.pth"
            #expect(mkfifo(fifo, 0o600) == 0)
            let args = Self.commands[command].map { $0 == "FIFO" ? fifo : $0 }
            guard let (rc, out) = try run(args) else {
                Issue.record("\(args.joined(separator: " ")) still running after 60 s"); return
            }
            #expect(rc != 0)
            let lines = out.split(separator: "\n")
            #expect(lines.count == 1, "\(out)")
            #expect(lines.first?.contains("not a regular file (a FIFO (named pipe))") == true, "\(out)")
        }
    }

    @Test func gitLFSPointerIsNamedAsOne() throws {
        try inTemporaryDirectory { dir in
            let path = dir + "/GAN_GEN_SHADOW_8.pth"
            try Data("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a21\nsize 92345678\n".utf8).write(to: URL(fileURLWithPath: path))
            guard let (rc, out) = try run(["inspect", path]) else { Issue.record("hung"); return }
            #expect(rc != 0)
            #expect(out.contains("a Git LFS pointer") && out.contains("git lfs pull"), "\(out)")
        }
    }
}
