import Foundation
import NIOConcurrencyHelpers

/// Identical requests in flight share one render: the first request for a
/// key (the canonical request key the cache and ETag use) starts the render
/// in its own task; later ones for the same key wait for that task's bytes.
/// A waiter whose task is cancelled (client gone, deadline) leaves at once; when
/// the last waiter leaves, the render is cancelled (so its unstarted images
/// leave the render queue) and the key is forgotten.
final class InFlightRenders: Sendable {
    private final class Entry: @unchecked Sendable {
        // Guarded by the registry's lock.
        var waiters: [UInt64: CheckedContinuation<[UInt8], any Error>] = [:]
        var task: Task<Void, Never>?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var nextID: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    private let metrics: ServerMetrics

    init(metrics: ServerMetrics) { self.metrics = metrics }

    /// Keys with a render in flight.
    var count: Int { state.withLockedValue { $0.entries.count } }

    /// The bytes for `key`: from a render already in flight for it, or from
    /// `render` (run once, in a task of its own). Throws `CancellationError`
    /// when the caller is cancelled, `render`'s error otherwise.
    func bytes(for key: String, model: String, render: @escaping @Sendable () async throws -> [UInt8]) async throws -> [UInt8] {
        let id = state.withLockedValue { s in s.nextID += 1; return s.nextID }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], any Error>) in
                let (entry, isNew, cancelled) = state.withLockedValue { s -> (Entry, Bool, Bool) in
                    if Task.isCancelled { return (Entry(), false, true) }
                    if let e = s.entries[key] { e.waiters[id] = c; return (e, false, false) }
                    let e = Entry()
                    e.waiters[id] = c
                    s.entries[key] = e
                    return (e, true, false)
                }
                if cancelled { c.resume(throwing: CancellationError()); return }
                if !isNew { metrics.coalesced(model: model, images: 1, kind: "request"); return }
                let task = Task { [self] in
                    let result: Result<[UInt8], any Error>
                    do { result = .success(try await render()) } catch { result = .failure(error) }
                    let waiters = state.withLockedValue { s -> [CheckedContinuation<[UInt8], any Error>] in
                        if s.entries[key] === entry { s.entries.removeValue(forKey: key) }
                        defer { entry.waiters = [:] }
                        return Array(entry.waiters.values)
                    }
                    for w in waiters { w.resume(with: result) }
                }
                // Every waiter may have left before the task existed: then no one cancelled it.
                if state.withLockedValue({ _ in entry.task = task; return entry.waiters.isEmpty }) { task.cancel() }
            }
        } onCancel: {
            leave(key: key, id: id)
        }
    }

    private func leave(key: String, id: UInt64) {
        let (waiter, orphan): (CheckedContinuation<[UInt8], any Error>?, Task<Void, Never>?) = state.withLockedValue { s in
            guard let e = s.entries[key], let w = e.waiters.removeValue(forKey: id) else { return (nil, nil) }
            guard e.waiters.isEmpty else { return (w, nil) }
            s.entries.removeValue(forKey: key)
            return (w, e.task)
        }
        waiter?.resume(throwing: CancellationError())
        orphan?.cancel()
    }
}
