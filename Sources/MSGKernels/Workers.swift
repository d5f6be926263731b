import CMSGKernels
import Dispatch

/// Runs `items` work items on up to `workers` threads. Items are handed out in
/// order from a shared counter to whichever worker is free (a dynamic
/// schedule): a worker that the OS delays (another process, the server's PNG
/// encoding on the same cores) simply takes fewer items instead of holding
/// the others at the end of the loop, as the earlier static "item i on worker
/// i % workers" did. `worker` (0 ..< workers) names the calling thread, so
/// each worker's scratch is still its own. No kernel's result depends on
/// which worker ran an item (per-item outputs, sums reduced in item order),
/// so images keep their bits under either schedule (BatchBitIdentityTests).
public enum Workers {
    public static func run(items: Int, workers: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        if workers <= 1 || items <= 1 {
            for i in 0..<items { body(i, 0) }
            return
        }
        let n = min(workers, items)
        let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        counter.initialize(to: 0)
        defer { counter.deallocate() }
        DispatchQueue.concurrentPerform(iterations: n) { w in
            while true {
                let i = msg_next_item(counter)
                guard i < items else { break }
                body(i, w)
            }
        }
    }
}
