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

    public init() {}
}

/// Dynamic batching per model.
public struct BatchConfig: Sendable, Equatable {
    /// Most images in one forward pass (1 turns batching off).
    public var maxBatch = 8
    /// How long a worker waits for more images before starting a partial batch.
    public var batchWait: Duration = .milliseconds(3)
    /// Images admitted (queued or rendering) per model before 503.
    public var maxQueue = 256
    /// Worker threads per model, each with its own Renderer (scratch buffers).
    public var workers = 1
    /// Engine threads per worker.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// How long a worker sits idle before it gives back the buffers of passes
    /// larger than one image (a rare large grid must not stay resident).
    public var idleRelease: Duration = .seconds(10)

    public init() {}

    var batchWaitSeconds: Double {
        let c = batchWait.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    var idleReleaseSeconds: Double {
        let c = idleRelease.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

/// Everything `msg-gen serve` can set.
public struct ServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var batch = BatchConfig()
    public var limits = ServerLimits()
    /// Bytes of encoded PNGs kept in memory (0 disables the cache).
    public var cacheBytes = 256 << 20

    public init() {}
}
