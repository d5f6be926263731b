import Foundation
import Logging
import MSGGen
import MSGTensor
import ServiceLifecycle

/// Continuous batching for one model. Requests put per-image jobs on one
/// bounded queue; worker threads (each owning a `Renderer`, i.e. its own
/// scratch buffers, over the shared immutable weights) take the oldest job plus
/// every queued job that can share its forward pass (same kind, same options)
/// and run it at once: an idle worker never waits (unless `batchWait` is set),
/// and whatever arrives while a pass runs forms the next pass. An image's bits
/// never depend on its batch-mates (engine guarantee), so batching is
/// invisible in the output.
///
/// Identical images asked for at the same time render once: a job whose image
/// (same seed or cell, same options) is already queued or rendering joins it
/// (grid cells of concurrent requests, duplicate seeds of one request).
///
/// A request whose task is cancelled (client gone, deadline passed) leaves at
/// once: its jobs that have not started are dropped, and its images stop
/// counting against `maxQueue`; a pass already running finishes.
///
/// Forward passes block a thread for milliseconds to seconds, so they run on
/// dedicated threads, never on the threads that run tasks and serve HTTP
/// (NIO's event loops under `msg-gen serve`, see ServerRuntime). PNG encoding
/// runs in the requests' tasks, after their images are handed back, so it
/// overlaps the workers' next pass.
public final class RenderPool: @unchecked Sendable {
    /// One image to render.
    public enum Job: Sendable, Hashable {
        /// The image of a seed.
        case seed(UInt32)
        /// A style-mixing cell: row seed's w with `layers` from the column seed's w.
        case cell(row: UInt32, col: UInt32, layers: [Int])

        var isSeed: Bool { if case .seed = self { true } else { false } }
    }

    /// The results of one request's jobs, filled by workers (guarded by `cond`).
    private final class Ticket: @unchecked Sendable {
        var results: [[Tensor]?]
        var remaining: Int
        var continuation: CheckedContinuation<[[Tensor]], any Error>?
        var cancelled = false
        init(count: Int) { results = .init(repeating: nil, count: count); remaining = count }
    }

    /// What makes two images the same: the job and every option (hashable
    /// stand-in for `RenderOptions`, which MSGGen keeps Equatable only).
    private struct ImageKey: Hashable {
        let job: Job
        let psi: Double?, cutoff: Int?, noise: String, noiseSeed: UInt32
        init(_ job: Job, _ o: RenderOptions) {
            self.job = job; psi = o.psi; cutoff = o.cutoff; noise = o.noise.rawValue; noiseSeed = o.noiseSeed
        }
    }

    /// One image to render and every request slot waiting for it.
    private final class Work: @unchecked Sendable {
        let key: ImageKey
        let job: Job
        let options: RenderOptions
        var waiters: [(ticket: Ticket, index: Int)]
        init(_ key: ImageKey, _ job: Job, _ options: RenderOptions, first: (Ticket, Int)) {
            self.key = key; self.job = job; self.options = options; waiters = [first]
        }
        func batches(with other: Work) -> Bool { job.isSeed == other.job.isSeed && options == other.options }
    }

    public let model: Model
    public let config: BatchConfig
    private let metrics: ServerMetrics
    private let logger: Logger
    private let cond = NSCondition()
    // Guarded by `cond`:
    private var queue: [Work] = []              // not started, oldest first
    private var inFlight: [ImageKey: Work] = [:] // queued or rendering
    private var admitted = 0
    private var stopping = false
    private var held = false
    /// The first job of each batch a worker is filling during its batch wait
    /// (`BatchConfig.batchWait` > 0): queued jobs that would join it are that
    /// worker's, the other workers take only the rest.
    private var fillingHeads: [Work] = []
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

    /// Images admitted and not yet handed back (what `maxQueue` bounds).
    public var depth: Int { cond.lock(); defer { cond.unlock() }; return admitted }

    /// Distinct images waiting for a worker (coalesced jobs count once).
    public var queuedImages: Int { cond.lock(); defer { cond.unlock() }; return queue.count }

    /// Renders `jobs` (all with `options`) and hands their outputs (one `[3, R, R]`
    /// tensor per scale, 4x4 first) to `body`; the images count against the
    /// queue bound until `body` returns. Throws `queueFull` when the bound would be
    /// passed (a request larger than the bound is admitted only into an empty
    /// queue), `CancellationError` when the task is cancelled before its images
    /// are done (its unstarted jobs are dropped).
    public func withImages<T>(_ jobs: [Job], options: RenderOptions, _ body: ([[Tensor]]) async throws -> T) async throws -> T {
        let n = jobs.count
        guard n > 0 else { return try await body([]) }
        try Task.checkCancellation()
        let ticket = Ticket(count: n)
        try admit(n)
        defer { release(n) }
        let outputs = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[[Tensor]], any Error>) in
                enqueue(jobs, options: options, ticket: ticket, continuation: c)
            }
        } onCancel: {
            cancel(ticket)
        }
        return try await body(outputs)
    }

    private func enqueue(_ jobs: [Job], options: RenderOptions, ticket: Ticket, continuation c: CheckedContinuation<[[Tensor]], any Error>) {
        cond.lock()
        if ticket.cancelled { cond.unlock(); c.resume(throwing: CancellationError()); return }
        ticket.continuation = c
        var joined = 0
        for (i, job) in jobs.enumerated() {
            let key = ImageKey(job, options)
            if let w = inFlight[key] {
                w.waiters.append((ticket, i)); joined += 1
            } else {
                let w = Work(key, job, options, first: (ticket, i))
                queue.append(w); inFlight[key] = w
            }
        }
        metrics.queueDepth(model: model.name, queue.count)
        cond.broadcast()
        cond.unlock()
        if joined > 0 { metrics.coalesced(model: model.name, images: joined) }
    }

    /// Drops the ticket's unstarted jobs and fails its wait with CancellationError.
    private func cancel(_ ticket: Ticket) {
        cond.lock()
        ticket.cancelled = true
        let c = ticket.continuation
        ticket.continuation = nil
        if c != nil {
            queue.removeAll { w in
                w.waiters.removeAll { $0.ticket === ticket }
                guard w.waiters.isEmpty else { return false }
                inFlight.removeValue(forKey: w.key)
                return true
            }
            metrics.queueDepth(model: model.name, queue.count)
        }
        cond.unlock()
        c?.resume(throwing: CancellationError())
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

    // MARK: - Test hooks

    /// Workers take no new jobs until `resume()` (tests hold a queue still).
    func hold() { cond.lock(); held = true; cond.unlock() }

    func resume() { cond.lock(); held = false; cond.broadcast(); cond.unlock() }

    // MARK: - Workers

    /// Takes the oldest job and the queued jobs that share its forward pass;
    /// a worker starting a batch skips jobs that belong to a batch another
    /// worker is filling.
    private func gather(into batch: inout [Work]) {
        var i = 0
        while i < queue.count && batch.count < config.maxBatch {
            let fits = batch.isEmpty ? !joinsFilling(queue[i]) : batch[0].batches(with: queue[i])
            if fits {
                batch.append(queue.remove(at: i))
            } else {
                i += 1
            }
        }
    }

    /// Whether `work` would join a batch another worker is filling (never
    /// once shutdown began: then every worker drains whatever is queued).
    private func joinsFilling(_ work: Work) -> Bool {
        !stopping && fillingHeads.contains { $0.batches(with: work) }
    }

    /// Whether a worker without a batch has a job to start (none queued, or
    /// all of them waited for by filling batches: no).
    private var hasUnclaimedJob: Bool { queue.contains { !joinsFilling($0) } }

    private func workerLoop(_ renderer: Renderer) {
        while true {
            cond.lock()
            // With a batch wait, jobs that would join a batch being filled
            // are left to its worker, so several workers never sit on
            // part-filled batches of the same kind; other jobs start at once.
            while (!hasUnclaimedJob || held) && !stopping {
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
            var batch: [Work] = []
            gather(into: &batch)
            if batch.count < config.maxBatch && config.batchWaitSeconds > 0 {
                let head = batch[0]
                fillingHeads.append(head)
                let deadline = Date(timeIntervalSinceNow: config.batchWaitSeconds)
                while batch.count < config.maxBatch && !stopping && cond.wait(until: deadline) {
                    gather(into: &batch)
                }
                gather(into: &batch)
                fillingHeads.removeAll { $0 === head }
                cond.broadcast()   // the other workers may take what is left
            }
            metrics.queueDepth(model: model.name, queue.count)
            cond.unlock()
            run(batch, renderer)
        }
    }

    private func run(_ batch: [Work], _ renderer: Renderer) {
        metrics.batch(model: model.name, size: batch.count)
        let options = batch[0].options
        var outputs: Result<[Tensor], any Error>
        do {
            switch batch[0].job {
            case .seed:
                let seeds = batch.compactMap { w -> UInt32? in
                    guard case .seed(let s) = w.job else { return nil }
                    return s
                }
                outputs = .success(try renderer.forward(seeds: seeds, options: options))
            case .cell:
                var dl: [Float] = [], noiseSeeds: [UInt32] = []
                let d = renderer.dlatentSize ?? 0
                for w in batch {
                    guard case let .cell(row, col, layers) = w.job else { continue }
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
        for (j, w) in batch.enumerated() {
            inFlight.removeValue(forKey: w.key)
            let image = try? outputs.get().map { $0.slice(j) }
            for (ticket, index) in w.waiters {
                guard let c = ticket.continuation else { continue }   // cancelled or already failed
                if let image {
                    ticket.results[index] = image
                    ticket.remaining -= 1
                    guard ticket.remaining == 0 else { continue }
                    finished.append((c, .success(ticket.results.map { $0! })))
                } else if case .failure(let e) = outputs {
                    finished.append((c, .failure(ServerError.internalError("\(e)"))))
                }
                ticket.continuation = nil
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
            held = false
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
