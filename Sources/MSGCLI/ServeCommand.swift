import ArgumentParser
import Foundation
import Logging
import MSGGen
import MSGServer

/// `msg-gen serve`: the HTTP front (MSGServer). Thin: flags, models, run.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve images, grids and mixing figures over HTTP (see README, Server).",
        discussion: """
        Every --weights file is served under its name (msg-gen.name, else the file stem); the first is the default. \
        SIGINT/SIGTERM finish the requests in flight, then exit.
        """
    )

    @Option(name: .long, help: "Address to listen on.")
    public var host = "127.0.0.1"

    @Option(name: .long, parsing: .unconditional, help: "Port (0: any free port).")
    public var port = 8080

    @Option(name: .long, parsing: .singleValue, help: "A weights file; repeat for several models (default: weights/DEFAULT).")
    public var weights: [String] = []

    @Option(name: .customLong("max-batch"), parsing: .unconditional, help: "Most images in one forward pass (1 turns batching off).")
    public var maxBatch = 8

    @Option(name: .customLong("batch-wait-ms"), parsing: .unconditional, help: "Longest wait for a batch to fill, in milliseconds.")
    public var batchWaitMs = 3.0

    @Option(name: .customLong("max-queue"), parsing: .unconditional, help: "Images queued or rendering per model before 503.")
    public var maxQueue = 256

    @Option(name: .long, parsing: .unconditional, help: "Render workers per model (each with its own buffers).")
    public var workers = 1

    @Option(name: .long, parsing: .unconditional, help: "Engine threads per worker (default: all cores).")
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("cache-mb"), parsing: .unconditional, help: "Memory for cached PNGs, in MiB (0 disables the cache).")
    public var cacheMB = 256

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    public var logLevel = "info"

    public init() {}

    public mutating func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 ... 65535") }
        guard (1...64).contains(maxBatch) else { throw ValidationError("--max-batch must be 1 ... 64") }
        guard batchWaitMs.isFinite, (0...1000).contains(batchWaitMs) else { throw ValidationError("--batch-wait-ms must be 0 ... 1000") }
        guard (1...100_000).contains(maxQueue) else { throw ValidationError("--max-queue must be 1 ... 100000") }
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be 1 ... 64") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1 ... 256") }
        guard (0...1_000_000).contains(cacheMB) else { throw ValidationError("--cache-mb must be 0 ... 1000000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
    }

    public func config() -> ServerConfig {
        var c = ServerConfig()
        c.host = host; c.port = port
        c.batch.maxBatch = maxBatch
        c.batch.batchWait = .microseconds(Int64(batchWaitMs * 1000))
        c.batch.maxQueue = maxQueue
        c.batch.workers = workers
        c.batch.threads = threads
        c.cacheBytes = cacheMB << 20
        return c
    }

    public func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "msg-gen.serve")
        let paths = weights.isEmpty ? [try WeightsLocator.defaultModelPath()] : weights
        let models = try paths.map { try Model.load(path: $0) }
        try await runServer(models: models, config: config(), logger: logger)
    }
}
