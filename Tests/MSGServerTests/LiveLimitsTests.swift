import Foundation
import LoopbackHTTP
import Hummingbird
import HummingbirdTesting
import MSGCLI
import MSGGen
@testable import MSGServer
import Testing

/// The connection limits and per-version connection handling on a real
/// loopback socket, with short limits. Every wait is for an event under a
/// generous deadline; only lower bounds a server cannot beat are asserted.
@Suite struct LiveLimitsTests {
    static func config(_ edit: (inout ServerConfig) -> Void = { _ in }) -> ServerConfig {
        testConfig { c in
            c.connections.idleTimeout = .milliseconds(400)
            c.connections.headerTimeout = .milliseconds(300)
            c.cacheBytes = 0
            edit(&c)
        }
    }

    static let healthz = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"

    @Test func anIdleKeepAliveConnectionIsClosed() async throws {
        try await withApp([progan], config: Self.config(), .live) { client, _ in
            let c = try RawHTTPClient(port: try #require(client.port))
            try c.send(Self.healthz)
            let first = await c.read(until: "\"ok\"", deadline: .seconds(10))
            #expect(first.text.hasPrefix("HTTP/1.1 200"))
            let (_, closed) = await c.readUntilClosed(deadline: .seconds(10))
            #expect(closed, "the idle connection was not closed")
        }
    }

    @Test func aSlowHeaderGets408AndIsClosed() async throws {
        // Idle timeout far longer: only the header timeout can close this one.
        let config = Self.config { $0.connections.idleTimeout = .seconds(60) }
        try await withApp([progan], config: config, .live) { client, _ in
            let c = try RawHTTPClient(port: try #require(client.port))
            try c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n")
            let dripping = Task {
                for i in 0..<200 {   // one header line every 50 ms, never the blank line
                    try await Task.sleep(for: .milliseconds(50))
                    try c.send("X-\(i): y\r\n")
                }
            }
            let (bytes, closed) = await c.readUntilClosed(deadline: .seconds(10))
            dripping.cancel()
            #expect(closed, "the slow client was not closed")
            #expect(bytes.text.hasPrefix("HTTP/1.1 408"), "\(bytes.text)")
        }
    }

    @Test func aDroppedRequestFreesItsQueueSlots() async throws {
        let config = Self.config { $0.connections.idleTimeout = .seconds(60); $0.batch.maxQueue = 8 }
        try await withApp([progan], config: config, .live) { client, deps in
            let port = try #require(client.port)
            let pool = deps.pools[0]
            pool.hold()
            defer { pool.resume() }
            let c = try RawHTTPClient(port: port)
            try c.send("GET /v1/grid?seed=0&count=8 HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await eventually { pool.depth == 8 && pool.queuedImages == 8 })
            c.close()
            #expect(await eventually { pool.depth == 0 && pool.queuedImages == 0 }, "depth \(pool.depth)")
            #expect(await eventually { metric(deps, "msg_gen_abandoned_requests_total") >= 1 })
            pool.resume()
            let d = try RawHTTPClient(port: port)
            try d.send("GET /v1/grid?seed=50&count=8 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let (answer, _) = await d.readUntilClosed(deadline: .seconds(30))
            #expect(answer.text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func http10WithoutKeepAliveIsClosedAfterTheResponse() async throws {
        try await withApp([progan], config: Self.config { $0.connections.idleTimeout = .seconds(60) }, .live) { client, _ in
            let c = try RawHTTPClient(port: try #require(client.port))
            try c.send("GET /healthz HTTP/1.0\r\n\r\n")
            let (bytes, closed) = await c.readUntilClosed(deadline: .seconds(10))
            #expect(closed, "an HTTP/1.0 client reading to end-of-stream would hang")
            #expect(bytes.text.hasPrefix("HTTP/1.0 200"))
            #expect(bytes.text.contains("\"ok\""))
        }
    }

    @Test func http10KeepAliveIsEchoedAndKept() async throws {
        try await withApp([progan], config: Self.config { $0.connections.idleTimeout = .seconds(60) }, .live) { client, _ in
            let c = try RawHTTPClient(port: try #require(client.port))
            for _ in 0..<2 {
                try c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let bytes = await c.read(until: "\"ok\"", deadline: .seconds(10))
                #expect(bytes.text.hasPrefix("HTTP/1.0 200"))
                #expect(bytes.text.lowercased().contains("connection: keep-alive"))
            }
        }
    }

    @Test func http11ConnectionCloseIsHonoured() async throws {
        try await withApp([progan], config: Self.config { $0.connections.idleTimeout = .seconds(60) }, .live) { client, _ in
            let c = try RawHTTPClient(port: try #require(client.port))
            try c.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: Close\r\n\r\n")
            let (bytes, closed) = await c.readUntilClosed(deadline: .seconds(10))
            #expect(closed)
            #expect(bytes.text.lowercased().contains("connection: close"))
        }
    }

    @Test func headSendsNoBodyAndAbsoluteFormIsAccepted() async throws {
        try await withApp([progan], config: Self.config { $0.connections.idleTimeout = .seconds(60) }, .live) { client, _ in
            let port = try #require(client.port)
            let c = try RawHTTPClient(port: port)
            try c.send("HEAD /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let (head, _) = await c.readUntilClosed(deadline: .seconds(10))
            #expect(head.text.hasPrefix("HTTP/1.1 200"))
            #expect(head.text.hasSuffix("\r\n\r\n"), "HEAD must not send a body: \(head.text)")
            let d = try RawHTTPClient(port: port)
            try d.send("GET http://127.0.0.1:\(port)/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let (abs, _) = await d.readUntilClosed(deadline: .seconds(10))
            #expect(abs.text.hasPrefix("HTTP/1.1 200"), "\(abs.text)")
        }
    }

    @Test func malformedRequestsGetTheMostSpecificStatusAsJSON() async throws {
        let config = Self.config { $0.connections.idleTimeout = .seconds(60); $0.connections.maxRequestBytes = 2048 }
        try await withApp([progan], config: config, .live) { client, _ in
            let port = try #require(client.port)
            let cases: [(String, String)] = [
                ("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "a", count: 4096))\r\n\r\n", "HTTP/1.1 431"),
                ("\u{1}\u{2}garbage\r\n\r\n", "HTTP/1.1 501"),
                ("GET /healthz HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", "HTTP/1.1 400"),
            ]
            for (request, status) in cases {
                let c = try RawHTTPClient(port: port)
                try c.send(request)
                let (bytes, closed) = await c.readUntilClosed(deadline: .seconds(10))
                #expect(closed)
                #expect(bytes.text.hasPrefix(status), "\(bytes.text)")
                #expect(bytes.text.contains("{\"error\":\""), "\(bytes.text)")
            }
        }
    }

    /// At the cap, idle connections give way: held-open sockets cannot lock out /healthz.
    @Test func idleConnectionsCannotLockOutNewClients() async throws {
        let config = Self.config { $0.connections.idleTimeout = .seconds(60); $0.connections.headerTimeout = .seconds(60)
                                   $0.connections.maxConnections = 8 }
        try await withApp([progan], config: config, .live) { client, deps in
            let port = try #require(client.port)
            var idle: [RawHTTPClient] = []
            for _ in 0..<20 { idle.append(try RawHTTPClient(port: port)) }
            let c = try RawHTTPClient(port: port)
            try c.send(Self.healthz)
            let bytes = await c.read(until: "\"ok\"", deadline: .seconds(10))
            #expect(bytes.text.hasPrefix("HTTP/1.1 200"))
            #expect(await eventually { metric(deps, "msg_gen_open_connections") <= 8 })
            withExtendedLifetime(idle) {}
        }
    }
}

/// The limits' defaults, their derivation and where an operator sees them.
@Suite struct ConnectionLimitsTests {
    @Test func theConnectionCapComesFromTheOpenFileLimit() {
        var l = ConnectionLimits()
        #expect(l.resolvedMaxConnections(openFileLimit: 128) == 96)
        #expect(l.resolvedMaxConnections(openFileLimit: 20) == 1)
        #expect(l.resolvedMaxConnections(openFileLimit: 1 << 20) == 65536)
        l.maxConnections = 10
        #expect(l.resolvedMaxConnections(openFileLimit: 128) == 10)
        #expect(ConnectionLimits.openFileLimit() > 0)
        #expect(ConnectionRegistry(cap: 96, metrics: ServerMetrics()).evictAbove == 87)
        #expect(ConnectionRegistry(cap: 1, metrics: ServerMetrics()).evictAbove == 1)
    }

    @Test func everyLimitIsInHelpWithItsDefault() throws {
        let help = ServeCommand.helpMessage(columns: 400)
        let d = ConnectionLimits()
        for (flag, value) in [("--idle-timeout", "\(d.idleTimeout.inSeconds)"), ("--header-timeout", "\(d.headerTimeout.inSeconds)"),
                              ("--request-timeout", "\(d.requestTimeout.inSeconds)"), ("--max-request-bytes", "\(d.maxRequestBytes)"),
                              ("--batch-wait-ms", "0.0")] {
            // The option's help may wrap onto the lines below its name.
            let start = try #require(help.range(of: "  \(flag) "))
            let rest = help[start.upperBound...]
            let entry = rest.range(of: "\n  -").map { rest[..<$0.lowerBound] } ?? rest
            #expect(entry.contains("(default: \(value))"), "\(flag): \(entry)")
        }
        #expect(help.contains("--max-connections"))
        #expect(help.contains("open-file limit"))
    }

    @Test func cliFlagsReachTheConfiguration() throws {
        let c = try ServeCommand.parse(["--idle-timeout", "1.5", "--header-timeout", "2", "--request-timeout", "3",
                                        "--max-connections", "7", "--max-request-bytes", "4096", "--batch-wait-ms", "2"]).config()
        #expect(c.connections.idleTimeout == .milliseconds(1500))
        #expect(c.connections.headerTimeout == .seconds(2))
        #expect(c.connections.requestTimeout == .seconds(3))
        #expect(c.connections.maxConnections == 7)
        #expect(c.connections.maxRequestBytes == 4096)
        #expect(c.batch.batchWait == .milliseconds(2))
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--header-timeout", "0"]) }
        #expect(throws: (any Error).self) { try ServeCommand.parse(["--max-request-bytes", "10"]) }
    }
}
