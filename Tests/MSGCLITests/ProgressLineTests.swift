import Foundation
import Testing
@testable import MSGCLI

/// A pseudo-terminal: what a program writes to `slave` is read back from `master`.
struct PseudoTerminal: ~Copyable {
    let master: Int32
    var slave: Int32

    init() throws {
        var m: Int32 = -1, s: Int32 = -1
        guard openpty(&m, &s, nil, nil, nil) == 0 else { throw CocoaError(.fileNoSuchFile) }
        master = m; slave = s
    }

    /// Closes our end of the slave, then reads everything written until the last
    /// writer is gone (EIO on Linux) or nothing is left.
    mutating func drain() -> String {
        if slave >= 0 { close(slave); slave = -1 }
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress!, 4096) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    deinit {
        if slave >= 0 { close(slave) }
        close(master)
    }
}

/// README: `--quiet` means no progress line; it is shown on a terminal (for
/// renders over a second), never into a pipe or a file.
@Suite struct ProgressLineTests {
    @Test func theLineGoesToATerminal() throws {
        var pty = try PseudoTerminal()
        let p = MSGCLI.Progress(total: 3, quiet: false, fd: pty.slave, delay: 0)
        p.update(done: 1)
        p.update(done: 3)
        p.finish()
        let text = pty.drain()
        #expect(text.contains("rendering: 1/3 images"), "\(text.debugDescription)")
        #expect(text.contains("rendering: 3/3 images"), "\(text.debugDescription)")
    }

    @Test func quietOrAPipeShowNothing() throws {
        var pty = try PseudoTerminal()
        let quiet = MSGCLI.Progress(total: 3, quiet: true, fd: pty.slave, delay: 0)
        quiet.update(done: 3); quiet.finish()
        #expect(pty.drain() == "")
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let piped = MSGCLI.Progress(total: 3, quiet: false, fd: fds[1], delay: 0)
        piped.update(done: 3); piped.finish()
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress!, 64) } == 0)
    }

    @Test func theLineWaitsForItsDelay() throws {
        var pty = try PseudoTerminal()
        let p = MSGCLI.Progress(total: 3, quiet: false, fd: pty.slave, delay: 3600)
        p.update(done: 1); p.finish()
        #expect(pty.drain() == "")
    }

    // MARK: - The commands, as a user runs them

    /// Runs the built `msg-gen` with stderr on a pseudo-terminal (or a pipe) and
    /// the line's delay at 0; returns what reached stderr.
    func stderrOfBinary(_ args: [String], terminal: Bool) throws -> String {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        return try inTemporaryDirectory { dir in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: BinaryTests.binary)
            p.arguments = args.map { $0 == "OUT" ? dir + "/out.png" : $0 }
            var env = ProcessInfo.processInfo.environment
            env["MSG_GEN_PROGRESS_DELAY"] = "0"
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            if terminal {
                var pty = try PseudoTerminal()
                p.standardError = FileHandle(fileDescriptor: pty.slave, closeOnDealloc: false)
                try p.run()
                p.waitUntilExit()
                #expect(p.terminationStatus == 0)
                return pty.drain()
            }
            let pipe = Pipe()
            p.standardError = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            return String(decoding: data, as: UTF8.self)
        }
    }

    static let render = ["--weights", fixture("progan-d1-l8"), "--seed", "1", "--grid", "3", "--batch", "1", "--out", "OUT"]
    static let mix = ["mix", "--weights", fixture("stylegan-32"), "--rows", "1,2", "--cols", "3", "--styles", "coarse", "--out", "OUT"]

    @Test(arguments: [render, mix])
    func commandsShowTheLineOnATerminalOnly(_ args: [String]) throws {
        let total = args[0] == "mix" ? 2 : 3
        let shown = try stderrOfBinary(args, terminal: true)
        #expect(shown.contains("rendering: \(total)/\(total) images"), "\(shown.debugDescription)")
        let quiet = try stderrOfBinary(args + ["--quiet"], terminal: true)
        #expect(!quiet.contains("rendering:"), "--quiet: \(quiet.debugDescription)")
        let piped = try stderrOfBinary(args, terminal: false)
        #expect(!piped.contains("rendering:"), "pipe: \(piped.debugDescription)")
    }
}
