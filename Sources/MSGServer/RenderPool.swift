import Foundation
import Logging
import MSGGen
import MSGTensor
import ServiceLifecycle

/// Dynamic batching for one model. Requests put per-image jobs on one bounded
/// queue; worker threads (each owning a `Renderer`, i.e. its own scratch
/// buffers, over the shared immutable weights) take the oldest job plus every
/// queued job that can share its forward pass (same kind, same options), wait
/// up to `batchWait` for more while the batch is short, and run it. An image's
/// bits never depend on its batch-mates (engine guarantee), so batching is
/// invisible in the output.
///
/// Forward passes block a thread for milliseconds to seconds, so they run on
/// dedicated threads, never on Swift's cooperative pool (which serves HTTP).
public final class RenderPool: @unchecked Sendable {
    /// One image to render.
    public enum Job: Sendable, Equatable {
        /// The image of a seed.
        case seed(UInt32)
        /// A style-mixing cell: row seed's w with `layers` from the column seed's w.
        case cell(row: UInt32, col: UInt32, layers: [Int])

        var isSeed: Bool { if case .seed = self { true } else { false } }
    }

    /// The results of one request's jobs, filled by workers.
    private final class Ticket {
        var results: [[Tensor]?]
        var remaining: Int
        var continuation: CheckedContinuation<[[Tensor]], any Error>?
        init(count: Int) { results = .init(repeating: nil, count: count); remaining = count }
    }

    private struct Pending {
        let job: Job
        let options: RenderOptions
        let ticket: Ticket
        let index: Int
        func batches(with other: Pending) -> Bool { job.isSeed == other.job.isSeed && options == other.options }
    }

    public let model: Model
    public let config: BatchConfig
    private let metrics: ServerMetrics
    private let logger: Logger
    private let cond = NSCondition()
    // Guarded by `cond`:
    private var queue: [Pending] = []
    private var admitted = 0
    private var stopping = false
    private var running = 0
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []
    private var idleReleasesCount = 0

    /// How often a worker gave back its large-pass buffers after idling (`BatchConfig.idleRelease`).
    public var idleReleases: Int {
        get { cond.lock(); defer { cond.unlock() }; return idleReleasesCount }
    }

    public init(model: Model, config: BatchConfig, metrics: ServerMetrics, logger: Logger = Logger(label: "msg-gen.render")) {
        self.model = model
        self.config = config
        self.metrics = metrics
        self.logger = logger
        running = max(1, config.workers)
        for i in 0..<running {
            let t = Thread { [self, model, config] in
                self.workerLoop(Renderer(model: model, batch: max(1, config.maxBatch), threads: config.threads))
            }
            t.name = "render-\(model.name)-\(i)"
            t.stackSize = 8 << 20
            t.start()
        }
    }

    /// True once shutdown began (readiness fails).
    public var isStopping: Bool { cond.lock(); defer { cond.unlock() }; return stopping }

    /// Images queued or rendering, not yet handed back (what `maxQueue` bounds).
    public var depth: Int { cond.lock(); defer { cond.unlock() }; return admitted }

    /// Renders `jobs` (all with `options`) and hands their outputs (one `[3, R, R]`
    /// tensor per scale, 4x4 first) to `body`; the images count against the
    /// queue bound until `body` returns. Throws `queueFull` when the bound would be
    /// passed (a request larger than the bound is admitted only into an empty queue).
    public func withImages<T>(_ jobs: [Job], options: RenderOptions, _ body: ([[Tensor]]) throws -> T) async throws -> T {
        let n = jobs.count
        guard n > 0 else { return try body([]) }
        let ticket = Ticket(count: n)
        try admit(n)
        defer { release(n) }
        let outputs = try await withCheckedThrowingContinuation { (c: CheckedContinuation<[[Tensor]], any Error>) in
            cond.lock()
            ticket.continuation = c
            for (i, job) in jobs.enumerated() { queue.append(Pending(job: job, options: options, ticket: ticket, index: i)) }
            metrics.queueDepth(model: model.name, queue.count)
            cond.broadcast()
            cond.unlock()
        }
        return try body(outputs)
    }

    private func admit(_ n: Int) throws {
        cond.lock(); defer { cond.unlock() }
        if stopping { throw ServerError.notReady("shutting down") }
        guard admitted == 0 || admitted + n <= config.maxQueue else {
            metrics.rejected(model: model.name)
            // A rough wait: what is admitted, at one batch per 100 ms at least.
            let seconds = max(1, min(60, admitted / max(1, config.maxBatch * config.workers) / 10))
            throw ServerError.queueFull(model: model.name, retryAfter: seconds)
        }
        admitted += n
    }

    private func release(_ n: Int) {
        cond.lock(); admitted -= n; cond.unlock()
    }

    // MARK: - Workers

    /// Takes the oldest job and the queued jobs that share its forward pass.
    private func gather(into batch: inout [Pending]) {
        var i = 0
        while i < queue.count && batch.count < config.maxBatch {
            if batch.isEmpty || batch[0].batches(with: queue[i]) {
                batch.append(queue.remove(at: i))
            } else {
                i += 1
            }
        }
    }

    private func workerLoop(_ renderer: Renderer) {
        while true {
            cond.lock()
            while queue.isEmpty && !stopping {
                // Idle for `idleRelease`: give back what passes above one image took.
                if !cond.wait(until: Date(timeIntervalSinceNow: config.idleReleaseSeconds)), queue.isEmpty,
                   (renderer.heldPlan?.images ?? 0) > 1 {
                    cond.unlock()
                    renderer.releaseBuffers()
                    cond.lock()
                    idleReleasesCount += 1
                }
            }
            if queue.isEmpty {   // stopping and drained
                running -= 1
                let waiters = running == 0 ? stopWaiters : []
                cond.unlock()
                for w in waiters { w.resume() }
                return
            }
            var batch: [Pending] = []
            gather(into: &batch)
            if batch.count < config.maxBatch && config.batchWaitSeconds > 0 {
                let deadline = Date(timeIntervalSinceNow: config.batchWaitSeconds)
                while batch.count < config.maxBatch && !stopping && cond.wait(until: deadline) {
                    gather(into: &batch)
                }
                gather(into: &batch)
            }
            metrics.queueDepth(model: model.name, queue.count)
            cond.unlock()
            run(batch, renderer)
        }
    }

    private func run(_ batch: [Pending], _ renderer: Renderer) {
        metrics.batch(model: model.name, size: batch.count)
        let options = batch[0].options
        var outputs: Result<[Tensor], any Error>
        do {
            switch batch[0].job {
            case .seed:
                let seeds = batch.compactMap { p -> UInt32? in
                    guard case .seed(let s) = p.job else { return nil }
                    return s
                }
                outputs = .success(try renderer.forward(seeds: seeds, options: options))
            case .cell:
                var dl: [Float] = [], noiseSeeds: [UInt32] = []
                let d = renderer.dlatentSize ?? 0
                for p in batch {
                    guard case let .cell(row, col, layers) = p.job else { continue }
                    let rw = try renderer.dlatents(seed: row, options: options)
                    let cw = try renderer.dlatents(seed: col, options: options)
                    dl += Renderer.mixed(rowW: rw, colW: cw, layers: layers, dlatentSize: d)
                    noiseSeeds.append(row)
                }
                outputs = .success(try renderer.synthesize(dlatents: dl, noiseSeeds: noiseSeeds, options: options))
            }
        } catch {
            logger.error("forward pass failed", metadata: ["model": "\(model.name)", "error": "\(error)"])
            outputs = .failure(error)
        }
        var finished: [(CheckedContinuation<[[Tensor]], any Error>, Result<[[Tensor]], any Error>)] = []
        cond.lock()
        for (j, p) in batch.enumerated() {
            guard let c = p.ticket.continuation else { continue }
            switch outputs {
            case .success(let t):
                p.ticket.results[p.index] = t.map { $0.slice(j) }
                p.ticket.remaining -= 1
                if p.ticket.remaining == 0 {
                    finished.append((c, .success(p.ticket.results.map { $0! })))
                    p.ticket.continuation = nil
                }
            case .failure(let e):
                finished.append((c, .failure(ServerError.internalError("\(e)"))))
                p.ticket.continuation = nil   // later jobs of this ticket are dropped on delivery
            }
        }
        cond.unlock()
        for (c, r) in finished { c.resume(with: r) }
    }

    /// Stops taking requests, finishes every queued job, then ends the workers.
    public func shutdown() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            cond.lock()
            stopping = true
            if running == 0 { cond.unlock(); c.resume(); return }
            stopWaiters.append(c)
            cond.broadcast()
            cond.unlock()
        }
    }
}

/// Lifecycle: on SIGINT/SIGTERM the HTTP server drains first (it is shut down
/// before services listed ahead of it), then the pools finish their queues.
public struct RenderPoolsService: Service {
    let pools: [RenderPool]
    let logger: Logger
    public init(pools: [RenderPool], logger: Logger) { self.pools = pools; self.logger = logger }

    public func run() async throws {
        try? await gracefulShutdown()
        for p in pools { await p.shutdown() }
        logger.info("render pools drained; exiting")
    }
}
