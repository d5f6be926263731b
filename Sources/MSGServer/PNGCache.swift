import Foundation

/// An LRU of encoded PNGs bounded in bytes (0 disables it). Output is
/// deterministic, so an entry never goes stale; it is only evicted.
public final class PNGCache: @unchecked Sendable {
    private final class Node {
        let key: String
        let value: [UInt8]
        var prev: Node?
        var next: Node?
        init(key: String, value: [UInt8]) { self.key = key; self.value = value }
    }

    public let capacity: Int
    private let lock = NSLock()
    // Guarded by `lock`: most recent at `head`.
    private var map: [String: Node] = [:]
    private var head: Node?
    private var tail: Node?
    private var bytes = 0

    public init(capacityBytes: Int) { capacity = max(0, capacityBytes) }

    /// Bytes and entries held.
    public var usage: (bytes: Int, count: Int) { lock.withLock { (bytes, map.count) } }

    public func get(_ key: String) -> [UInt8]? {
        lock.withLock {
            guard let n = map[key] else { return nil }
            unlink(n); pushFront(n)
            return n.value
        }
    }

    /// Stores `value` (an entry larger than the whole capacity is not kept).
    public func put(_ key: String, _ value: [UInt8]) {
        let cost = Self.cost(key: key, value: value)
        guard cost <= capacity else { return }
        lock.withLock {
            if let old = map.removeValue(forKey: key) { unlink(old); bytes -= Self.cost(key: old.key, value: old.value) }
            let n = Node(key: key, value: value)
            map[key] = n; pushFront(n); bytes += cost
            while bytes > capacity, let last = tail {
                unlink(last); map.removeValue(forKey: last.key); bytes -= Self.cost(key: last.key, value: last.value)
            }
        }
    }

    /// What an entry counts against the bound: its bytes plus bookkeeping.
    static func cost(key: String, value: [UInt8]) -> Int { value.count + key.utf8.count + 128 }

    private func unlink(_ n: Node) {
        if let p = n.prev { p.next = n.next } else { head = n.next }
        if let x = n.next { x.prev = n.prev } else { tail = n.prev }
        n.prev = nil; n.next = nil
    }

    private func pushFront(_ n: Node) {
        n.next = head; head?.prev = n; head = n
        if tail == nil { tail = n }
    }
}
