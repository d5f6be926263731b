import Dispatch

/// Per-layer wall time of forward passes, for `bench --profile`: off (nil) in
/// normal runs, so the hot path pays one nil check per layer.
public final class LayerProfile: @unchecked Sendable {
    public private(set) var order: [String] = []
    public private(set) var seconds: [String: Double] = [:]
    public private(set) var passes = 0
    /// Per label, the fastest single pass (robust to a noisy machine).
    public private(set) var best: [String: Double] = [:]
    private var current: [String: Double] = [:]

    public init() {}

    /// Times `body` under `label`, accumulating over passes.
    @inline(__always)
    public func measure<R>(_ label: String, _ body: () throws -> R) rethrows -> R {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = try body()
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        if seconds[label] == nil { order.append(label) }
        seconds[label, default: 0] += dt
        current[label, default: 0] += dt
        return r
    }

    public func endPass() {
        passes += 1
        for (label, t) in current { best[label] = min(best[label] ?? .infinity, t) }
        current = [:]
    }

    public func reset() { order = []; seconds = [:]; passes = 0; best = [:]; current = [:] }
}

extension Optional where Wrapped == LayerProfile {
    /// Runs `body`, timed when a profile is attached.
    @inline(__always)
    public func measure<R>(_ label: @autoclosure () -> String, _ body: () throws -> R) rethrows -> R {
        guard let p = self else { return try body() }
        return try p.measure(label(), body)
    }
}
