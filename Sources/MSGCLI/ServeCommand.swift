import ArgumentParser
import Foundation
import Logging
import MSGGen
import MSGKernels
import MSGServer

/// `msg-gen serve`: the HTTP front (MSGServer). Thin: flags, models, run.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve images, grids and mixing figures over HTTP (see README, Server).",
        discussion: """
        Every --weights file is served under its name (msg-gen.name, else the file stem); the first is the default. \
        SIGINT/SIGTERM finish the requests in flight, then exit. Request handling and PNG encoding run on NIO's \
        event loops (large pictures on its thread pool); MSG_GEN_EXECUTOR=pool in the environment keeps Swift's \
        cooperative pool instead.
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

    @Option(name: .customLong("batch-wait-ms"), parsing: .unconditional, help: "Extra wait for a short batch to fill, in milliseconds (0: none; an idle worker starts at once and requests arriving during a pass form the next one).")
    public var batchWaitMs = BatchConfig().batchWait.inSeconds * 1000

    @Option(name: .customLong("max-queue"), parsing: .unconditional, help: "Images queued or rendering per model before 503.")
    public var maxQueue = 256

    @Option(name: .long, parsing: .unconditional, help: "Render workers per model, each with its own buffers (default: one per core, at most 4; their passes share the engine threads).")
    public var workers = BatchConfig.defaultWorkers

    @Option(name: .long, parsing: .unconditional, help: "Engine threads per worker (default: all cores).")
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("idle-timeout"), parsing: .unconditional, help: "Seconds a keep-alive connection may stay idle before it is closed.")
    public var idleTimeout = ConnectionLimits().idleTimeout.inSeconds

    @Option(name: .customLong("header-timeout"), parsing: .unconditional, help: "Seconds from a request's first byte to its complete head; slower clients get 408 and are closed.")
    public var headerTimeout = ConnectionLimits().headerTimeout.inSeconds

    @Option(name: .customLong("request-timeout"), parsing: .unconditional, help: "Seconds from a request's head to its response; past it: 503 + Retry-After, its unstarted images dropped.")
    public var requestTimeout = ConnectionLimits().requestTimeout.inSeconds

    @Option(name: .customLong("max-connections"), parsing: .unconditional, help: "Open connections at most (default: the open-file limit minus 32, logged at start); idle ones are closed first near the cap.")
    public var maxConnections: Int?

    @Option(name: .customLong("max-request-bytes"), parsing: .unconditional, help: "Bytes of a request head (request line and headers) at most.")
    public var maxRequestBytes = ConnectionLimits().maxRequestBytes

    @Option(name: .customLong("cache-mb"), parsing: .unconditional, help: "Memory for cached PNGs, in MiB (0 disables the cache).")
    public var cacheMB = 256

    @Option(name: .long, help: "Arithmetic of every model's convolutions: fp32 (default) or bf16 (AVX512-BF16 CPUs; pictures within a few 8-bit levels of fp32, their own ETags).")
    public var precision: Precision = .fp32

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
        for (name, value) in [("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--request-timeout", requestTimeout)] {
            guard value.isFinite, value > 0, value <= 86400 else { throw ValidationError("\(name) must be more than 0 and at most 86400 seconds") }
        }
        if let maxConnections, !(1...1_000_000).contains(maxConnections) { throw ValidationError("--max-connections must be 1 ... 1000000") }
        guard (1024...(1 << 20)).contains(maxRequestBytes) else { throw ValidationError("--max-request-bytes must be 1024 ... 1048576") }
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
        c.connections.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        c.connections.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
        c.connections.requestTimeout = .milliseconds(Int64(requestTimeout * 1000))
        c.connections.maxConnections = maxConnections
        c.connections.maxRequestBytes = maxRequestBytes
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
        let models = try paths.map { try Model.load(path: $0, precision: precision) }
        try await runServer(models: models, config: config(), logger: logger)
    }
}
