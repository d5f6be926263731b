import Foundation
import Testing
@testable import MSGCLI
import MSGImage

/// README "Files for scripts": every file is written to a temporary name and
/// renamed, so no half-written file is ever left behind. Proven by failing the
/// writer mid-way: the real binary runs under a file-size limit (RLIMIT_FSIZE,
/// `ulimit -f`, with SIGXFSZ ignored so write(2) fails with EFBIG) that is
/// smaller than what it writes. The limit is set in the child only.
@Suite struct InterruptedWriteTests {
    /// Runs msg-gen with writes capped at `kib` KiB; returns (status, stderr).
    func runLimited(_ args: [String], kib: Int) throws -> (Int32, String) {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "trap '' XFSZ; ulimit -f \(kib) && exec \"$0\" \"$@\"", BinaryTests.binary] + args + ["--quiet"]
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static let old = Array("the previous picture".utf8)

    @Test func aFailedPNGWriteLeavesTheOldTargetWhole() throws {
        try inTemporaryDirectory { dir in
            let target = dir + "/grid.png"
            try Data(Self.old).write(to: URL(fileURLWithPath: target))
            // A 64-cell grid of 16 px images: tens of KiB of PNG against a 4 KiB cap.
            let (status, err) = try runLimited(["--weights", fixture("progan-d3-l16"), "--seed", "0", "--grid", "64", "--out", target], kib: 4)
            #expect(status != 0, "the write did not fail: \(err)")
            #expect(err.contains(target), "\(err)")
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: target))) == Self.old, "the target was changed")
            let left = try FileManager.default.contentsOfDirectory(atPath: dir)
            #expect(left == ["grid.png"], "left behind: \(left)")
            // Without the cap the same command writes the whole picture.
            try runCLI(["--weights", fixture("progan-d3-l16"), "--seed", "0", "--grid", "64", "--out", target, "--quiet"])
            let (image, _) = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: target))))
            #expect(image.width == 8 * 18 + 2)
        }
    }

    @Test func aFailedNPYWriteLeavesNoPartialFile() throws {
        try inTemporaryDirectory { dir in
            let out = dir + "/raw"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let target = out + "/seed5-16x16.npy"
            try Data(Self.old).write(to: URL(fileURLWithPath: target))
            // 4x4 (320 B) and 8x8 (~900 B) fit under 2 KiB; 16x16 (~3.2 KiB) does not.
            let (status, err) = try runLimited(["--weights", fixture("progan-d3-l16"), "--seed", "5", "--format", "npy",
                                                "--scales", "all", "--out", out], kib: 2)
            #expect(status != 0, "the write did not fail: \(err)")
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: target))) == Self.old, "the target was changed")
            let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
            #expect(names == ["seed5-16x16.npy", "seed5-4x4.npy", "seed5-8x8.npy"], "\(names)")
            for r in [4, 8] {
                let t = try NPY.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(out)/seed5-\(r)x\(r).npy"))))
                #expect(t.shape == [3, r, r])
            }
        }
    }
}
