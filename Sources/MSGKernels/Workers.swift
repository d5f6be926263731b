import Dispatch

/// Runs `items` work items on `workers` threads, item i on worker i % workers:
/// a static schedule, so each worker's scratch is its own.
public enum Workers {
    public static func run(items: Int, workers: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        if workers <= 1 || items <= 1 {
            for i in 0..<items { body(i, 0) }
            return
        }
        let n = min(workers, items)
        DispatchQueue.concurrentPerform(iterations: n) { w in
            var i = w
            while i < items { body(i, w); i += n }
        }
    }
}
