import CMSGKernels
import Dispatch

/// Runs `items` work items on up to `workers` threads: the calling thread and
/// the engine's persistent pool (CMSGKernels/pool.c). Items are handed out in
/// order from a shared counter to whichever worker is free (a dynamic
/// schedule): a worker that the OS delays (another process, the server's PNG
/// encoding on the same cores) simply takes fewer items instead of holding
/// the others at the end of the loop. Waiting workers spin briefly, then
/// sleep. `worker` (0 ..< workers) names the calling thread, so each worker's
/// scratch is its own. No kernel's result depends on which worker ran an item
/// (per-item outputs, sums reduced in item order), so images keep their bits
/// under any schedule (BatchBitIdentityTests).
///
/// The pool runs one loop at a time; a loop started while it is busy (another
/// model's render thread in the server, or a loop inside an item) runs on
/// libdispatch's concurrentPerform with the same dynamic schedule.
public enum Workers {
    public static func run(items: Int, workers: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        if workers <= 1 || items <= 1 {
            for i in 0..<items { body(i, 0) }
            return
        }
        let n = min(workers, items)
        let ran = withoutActuallyEscaping(body) { escapable -> Int32 in
            var loop = Loop(body: escapable)
            return withUnsafeMutablePointer(to: &loop) { p in
                msg_pool_run(items, Int32(n), { context, item, worker in
                    context!.assumingMemoryBound(to: Loop.self).pointee.body(item, Int(worker))
                }, p)
            }
        }
        if ran != 0 { return }
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

    private struct Loop {
        let body: (Int, Int) -> Void
    }
}
