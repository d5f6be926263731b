import Foundation
import LoopbackHTTP
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `msg-gen serve` as a process: the entry point makes NIO's event loops the
/// tasks' executor (ServerRuntime), `MSG_GEN_EXECUTOR=pool` keeps Swift's
/// pool, both serve the same bytes, and a bad value is refused at start.
@Suite(.serialized) struct ServeProcessTests {
    /// A running server: its process, its log file and its port.
    final class Served {
        let process = Process()
        let log: String
        var port = 0

        init(args: [String], env: [String: String], dir: String) throws {
            log = dir + "/serve.log"
            FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.executableURL = URL(fileURLWithPath: BinaryTests.binary)
            process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--log-level", "notice"] + args
            var e = ProcessInfo.processInfo.environment
            for (k, v) in env { e[k] = v }
            process.environment = e
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// Waits for the start-up line (polling without blocking a thread);
        /// false if the process ended or 30 s passed first.
        func started() async -> Bool {
            let end = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < end && process.isRunning {
                if let r = output.range(of: #"listening on http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
                    port = Int(output[r].split(separator: ":").last!.dropLast()) ?? 0
                    return port > 0
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        /// Waits up to 30 s for the process to end (then kills it): its exit
        /// status, or nil if it had to be killed.
        func exited() async -> Int32? {
            let end = ContinuousClock.now + .seconds(30)
            while process.isRunning && ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit(); return nil }
            return process.terminationStatus
        }

        /// SIGTERM, then the exit status (nil if it had to be killed).
        func stop() async -> Int32? {
            if process.isRunning { process.terminate() }
            return await exited()
        }
    }

    /// An HTTP/1.0 GET on loopback, read until the server closes the
    /// connection (it closes HTTP/1.0 connections): the whole response.
    func get(_ path: String, port: Int) async throws -> [UInt8] {
        let c = try RawHTTPClient(port: port)
        try c.send("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        let (bytes, closed) = await c.readUntilClosed(deadline: .seconds(30))
        #expect(closed)
        return bytes
    }

    func body(_ response: [UInt8]) -> [UInt8] {
        guard let r = response.firstRange(of: Array("\r\n\r\n".utf8)) else { return [] }
        return Array(response[r.upperBound...])
    }

    @Test func eventLoopsAndPoolServeTheSameBytes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        var bodies: [String: [UInt8]] = [:]
        for executor in ["default", "pool"] {
            let dir = NSTemporaryDirectory() + "msg-gen-serve-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let env = executor == "pool" ? ["MSG_GEN_EXECUTOR": "pool"] : [:]
            let s = try Served(args: ["--weights", fixture("stylegan-32"), "--cache-mb", "0"], env: env, dir: dir)
            guard await s.started() else {
                Issue.record("serve did not start: \(s.output)")
                _ = await s.stop()
                return
            }
            let want = executor == "pool" ? "executor=pool" : "executor=event-loops"
            #expect(s.output.contains(want), "\(s.output)")
            #expect(s.output.contains("workers=\(min(4, ProcessInfo.processInfo.activeProcessorCount))"), "\(s.output)")
            let r: [UInt8]
            do { r = try await get("/v1/grid?seed=3&count=4", port: s.port) } catch {
                _ = await s.stop()
                throw error
            }
            #expect(Array(r.prefix(17)).text == "HTTP/1.0 200 OK\r\n")
            let png = body(r)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            bodies[executor] = png
            #expect(await s.stop() == 0, "\(s.output)")
        }
        #expect(bodies["default"] == bodies["pool"] && bodies["default"]?.isEmpty == false)
    }

    @Test func anUnknownExecutorIsRefusedAtStart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: BinaryTests.binary), "build msg-gen first (swift build)")
        let dir = NSTemporaryDirectory() + "msg-gen-serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try Served(args: ["--weights", fixture("stylegan-32")], env: ["MSG_GEN_EXECUTOR": "threads"], dir: dir)
        #expect(await s.exited() == 2)
        #expect(s.output.contains("Error: MSG_GEN_EXECUTOR=threads: expected event-loops or pool\n"), "\(s.output)")
        #expect(!s.output.contains("listening"))
    }
}
