import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MSGCLI
import MSGGen
import MSGServer
import Testing

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("MSGGenTests/Fixtures")
func fixture(_ name: String) -> String { fixtures.appendingPathComponent("\(name).safetensors").path }

/// msg-progan, 4/8/16 px, and msg-stylegan, 4 ... 64 px (tiny random weights).
let proganPath = fixture("progan-d3-l16")
let styleganPath = fixture("stylegan-64-fused")

/// Loaded once per test process (weights are immutable and shared).
let progan = try! Model.load(path: proganPath)
let stylegan = try! Model.load(path: styleganPath)

func testConfig(_ edit: (inout ServerConfig) -> Void = { _ in }) -> ServerConfig {
    var c = ServerConfig()
    c.port = 0
    c.batch.threads = 2
    c.cacheBytes = 8 << 20
    edit(&c)
    return c
}

/// Builds the app with injected dependencies (own metrics registry) and runs
/// `body` against it in-process (or on loopback for `.live`).
func withApp<R: Sendable>(_ models: [Model] = [progan, stylegan], config: ServerConfig = testConfig(),
                          _ framework: TestingSetup = .router,
                          _ body: @Sendable (any TestClientProtocol, ServerDependencies) async throws -> R) async throws -> R {
    var logger = Logger(label: "msg-gen.serve.test")
    logger.logLevel = .warning
    let deps = try ServerDependencies.make(models: models, config: config, logger: logger)
    let app = buildApplication(config: config, dependencies: deps, logger: logger)
    return try await app.test(framework) { client in try await body(client, deps) }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }
    var text: String { String(buffer: body) }
    /// The `error` of a JSON error body.
    var errorMessage: String? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))).flatMap { ($0 as? [String: Any])?["error"] as? String }
    }
}

/// Runs the CLI in-process as `msg-gen ARGS --out FILE` and returns the PNG it wrote.
func cliPNG(_ args: [String]) throws -> [UInt8] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msg-gen-serve-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out.png").path
    var command = try MSGGenCommand.parseAsRoot(args + ["--out", out, "--quiet"])
    try command.run()
    return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
}
