import Foundation
import Testing
@testable import MSGKernels

/// The engine's parallel loops (Workers: a dynamic schedule over
/// concurrentPerform): every item runs exactly once with a worker index in
/// range, whatever the item and worker counts, when several threads start
/// loops at once, and when a loop starts inside an item.
@Suite struct WorkersTests {
    final class Counts: @unchecked Sendable {
        let lock = NSLock()
        var hits: [Int]
        var badWorker = false
        init(_ n: Int) { hits = [Int](repeating: 0, count: n) }
        func hit(_ i: Int, _ w: Int, workers: Int) {
            lock.lock(); hits[i] += 1; if w < 0 || w >= workers { badWorker = true }; lock.unlock()
        }
    }

    @Test(arguments: [(0, 2), (1, 2), (2, 2), (3, 2), (100, 2), (1000, 3), (7, 16), (5000, 1)])
    func everyItemOnce(_ c: (items: Int, workers: Int)) {
        let counts = Counts(c.items)
        Workers.run(items: c.items, workers: c.workers) { i, w in counts.hit(i, w, workers: c.workers) }
        #expect(counts.hits.allSatisfy { $0 == 1 })
        #expect(!counts.badWorker)
    }

    @Test func concurrentAndNestedLoops() async {
        await withTaskGroup(of: Bool.self) { group in
            for t in 0..<6 {
                group.addTask {
                    var ok = true
                    for round in 0..<50 {
                        let n = 10 + (t * 7 + round) % 40
                        let counts = Counts(n)
                        Workers.run(items: n, workers: 2) { i, w in
                            counts.hit(i, w, workers: 2)
                            if i == 0 {   // a loop inside an item
                                let inner = Counts(9)
                                Workers.run(items: 9, workers: 2) { j, v in inner.hit(j, v, workers: 2) }
                                if !inner.hits.allSatisfy({ $0 == 1 }) || inner.badWorker { counts.badWorker = true }
                            }
                        }
                        ok = ok && counts.hits.allSatisfy { $0 == 1 } && !counts.badWorker
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
