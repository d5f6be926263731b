import Foundation

/// What one request may ask for (documented in README and docs/openapi.yaml).
public struct ServerLimits: Sendable, Equatable {
    /// Seeds per grid (`count`).
    public var maxCount = 64
    /// Row seeds and column seeds of a mixing figure, each.
    public var maxRowsOrCols = 16
    /// Cells of a mixing figure (rows x cols).
    public var maxCells = 64
    /// RGB pixels of one picture before padding (count x R x R x scales).
    public var maxPixels = 1 << 24
    /// Characters of a list parameter (rows, cols, styles).
    public var maxListLength = 256
    /// Pictures of up to this many pixels are composed and encoded in the
    /// request's task (on an event loop: 256 x 256 pixels take about 3 ms,
    /// from the 12-13 ms of a 530 x 530 grid in README "Pictures"); larger
    /// ones on NIO's blocking-work thread pool (`NIOThreadPool`), so a large
    /// grid or sheet never holds an event loop, and the connections and
    /// probes it serves, for the tens to hundreds of milliseconds its
    /// encoding takes.
    public var inlineEncodePixels = 1 << 16

    public init() {}
}

/// Per-connection limits: every timeout, cap and size the HTTP layer enforces,
/// with its default and unit in one place (shown by `msg-gen serve --help` and
/// README, Server). A limit is never off by default.
public struct ConnectionLimits: Sendable, Equatable {
    /// Seconds a keep-alive connection may sit with no request before it is
    /// closed (Hummingbird's `HTTP1Channel` idle timeout; it also bounds a
    /// request head or body that stops arriving).
    public var idleTimeout: Duration = .seconds(30)
    /// Seconds from a request's first byte until its head (request line and
    /// headers) is complete; slower clients (slowloris) get 408 and are closed.
    public var headerTimeout: Duration = .seconds(10)
    /// Seconds from a complete head to the response; past it the request is
    /// answered 503 with `Retry-After` and its images that have not started are
    /// dropped.
    public var requestTimeout: Duration = .seconds(60)
    /// Open connections at most; further clients wait in the listen backlog.
    /// From 90% of it on, each new connection closes the longest-idle one.
    /// `nil`: derived at start from the open-file limit (`resolvedMaxConnections`).
    public var maxConnections: Int? = nil
    /// Bytes of a request head (request line plus headers; NIO's decoder
    /// limits); larger heads are 431 and closed. No route reads a body (a body
    /// sent anyway is read and discarded after the response).
    public var maxRequestBytes = 16 << 10

    public init() {}

    /// File descriptors kept back from the open-file limit for the listener,
    /// the weights, logs and the runtime.
    public static let reservedFileDescriptors = 32

    /// The connection cap to use: `maxConnections` if set, else the soft
    /// open-file limit (`RLIMIT_NOFILE`) minus `reservedFileDescriptors`,
    /// at least 1 and at most 65536 (e.g. limit 128 -> 96 connections).
    public func resolvedMaxConnections(openFileLimit: Int = Self.openFileLimit()) -> Int {
        if let maxConnections { return max(1, maxConnections) }
        return max(1, min(65536, openFileLimit - Self.reservedFileDescriptors))
    }

    /// The process's soft open-file limit (`getrlimit(RLIMIT_NOFILE)`; 1024 if unknown).
    public static func openFileLimit() -> Int {
        var r = rlimit()
        #if os(Linux)
        let ok = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &r) == 0
        #else
        let ok = getrlimit(RLIMIT_NOFILE, &r) == 0
        #endif
        guard ok else { return 1024 }
        return Int(clamping: min(r.rlim_cur, 1 << 20))   // RLIM_INFINITY is the largest value
    }
}

/// Continuous batching per model.
public struct BatchConfig: Sendable, Equatable {
    /// Most images in one forward pass (1 turns batching off).
    public var maxBatch = 8
    /// Extra wait for a short batch to fill before a pass starts (opt-in; 0 by
    /// default: an idle worker starts at once, and whatever arrives during a
    /// pass forms the next one).
    public var batchWait: Duration = .zero
    /// Images admitted (queued or rendering) per model before 503.
    public var maxQueue = 256
    /// Worker threads per model, each with its own Renderer (scratch buffers).
    /// Default `defaultWorkers`.
    public var workers = BatchConfig.defaultWorkers
    /// Engine threads per worker (default: every core). Workers' passes share
    /// the engine's thread pool (Dispatch's, as wide as the cores), so a pass
    /// that runs alone uses every core and passes that run side by side split
    /// them.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// One worker per core, at most 4: under load, passes side by side keep
    /// the cores busy through the serial and small steps of each pass (the
    /// mapping network, the 4-16 px layers, to-RGB) that one pass as wide as
    /// the machine leaves half idle. Measured in README "Server" (2 cores,
    /// faces-stylegan-64 at 64 connections: 1 worker 755 req/s, 2 workers
    /// 1122 req/s); each worker holds its own buffers (sized by the passes
    /// it runs, given back after `idleRelease`), hence the cap.
    public static var defaultWorkers: Int { min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)) }
    /// How long a worker sits idle before it gives back the buffers of passes
    /// larger than one image (a rare large grid must not stay resident).
    public var idleRelease: Duration = .seconds(10)

    public init() {}

    var batchWaitSeconds: Double { batchWait.inSeconds }
    var idleReleaseSeconds: Double { idleRelease.inSeconds }
}

extension Duration {
    /// The duration in seconds, as a Double (for flags and logs).
    public var inSeconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

/// Everything `msg-gen serve` can set.
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var batch = BatchConfig()
    public var limits = ServerLimits()
    public var connections = ConnectionLimits()
    /// Bytes of encoded PNGs kept in memory (0 disables the cache).
    public var cacheBytes = 256 << 20

    public init() {}
}
