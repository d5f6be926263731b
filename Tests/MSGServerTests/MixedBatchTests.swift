import Foundation
import Hummingbird
import HummingbirdTesting
import MSGGen
@testable import MSGServer
import Testing

/// Polls `condition` every 5 ms until it holds; fails the test after `deadline`
/// (generous: it bounds a hang, it is never what a passing run waits for).
func waitUntil(_ what: String, deadline: Duration = .seconds(120), _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let end = clock.now + deadline
    while !condition() {
        guard clock.now < end else {
            Issue.record("timed out waiting until \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// README "Batching": an image's bits never depend on its batch-mates, and jobs
/// share a forward pass only with jobs of the same kind and options.
@Suite struct MixedBatchTests {
    /// Four requests under two option sets (A: psi 0.5; B: psi 1, random noise),
    /// queued so that a pool batching regardless of options would put A1 and B1 in
    /// one pass: A1 is queued and its worker waits (a minute at most) for a
    /// batch-mate; B1 arrives; then A2 and B2. With maxBatch 2 a correct pool runs
    /// [A1, A2] and [B1, B2] as soon as each is full, so nothing waits on the clock.
    /// The second request of each pair has another seed, so a server that coalesces
    /// identical requests still sees four jobs. Each picture must equal the CLI's
    /// single render with its own options.
    @Test func mixedOptionsRenderEachImageAsItsSingleRender() async throws {
        let config = testConfig { $0.batch.maxBatch = 2; $0.batch.batchWait = .seconds(60); $0.cacheBytes = 0 }
        let sg = stylegan.name
        let a = ["--psi", "0.5"], b = ["--psi", "1", "--noise", "random", "--noise-seed", "3"]
        let requests: [(uri: String, cli: [String])] = [
            ("/v1/image?model=\(sg)&seed=11&psi=0.5", ["--seed", "11"] + a),
            ("/v1/image?model=\(sg)&seed=11&psi=1&noise=random&noise_seed=3", ["--seed", "11"] + b),
            ("/v1/image?model=\(sg)&seed=12&psi=0.5", ["--seed", "12"] + a),
            ("/v1/image?model=\(sg)&seed=12&psi=1&noise=random&noise_seed=3", ["--seed", "12"] + b),
        ]
        let solo = try requests.map { try cliPNG(["--weights", styleganPath] + $0.cli) }
        #expect(Bool(solo[0] != solo[1]))
        try await withApp([stylegan], config: config) { client, deps in
            let pool = deps.pools[0]
            let bodies = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for (i, r) in requests.enumerated() {
                    group.addTask { try await client.execute(uri: r.uri, method: .get) { (i, $0.bytes) } }
                    // A1 and B1 must be queued in that order; A2 completes [A1, A2], after
                    // which the depth falls again, so the later two are not waited for.
                    if i < 2 { try await waitUntil("request \(i) is admitted") { pool.depth >= i + 1 } }
                }
                var out = [[UInt8]](repeating: [], count: requests.count)
                for try await (i, body) in group { out[i] = body }
                return out
            }
            // Bool(...): a failure names the request instead of printing two PNGs.
            for (i, name) in ["A1", "B1", "A2", "B2"].enumerated() {
                #expect(Bool(bodies[i] == solo[i]), "\(name): \(requests[i].uri)")
            }
        }
    }

    /// Seeds and mixing cells are different jobs: a figure's cells and a
    /// concurrent single image still render as they do alone.
    @Test func cellsAndSeedsInOneQueueKeepTheirBits() async throws {
        let config = testConfig { $0.batch.maxBatch = 8; $0.cacheBytes = 0 }
        let sg = stylegan.name
        let soloImage = try cliPNG(["--weights", styleganPath, "--seed", "2"])
        let soloMix = try cliPNG(["mix", "--weights", styleganPath, "--rows", "1,2", "--cols", "3", "--styles", "coarse"])
        try await withApp([stylegan], config: config) { client, _ in
            async let image = client.execute(uri: "/v1/image?model=\(sg)&seed=2", method: .get) { $0.bytes }
            async let mix = client.execute(uri: "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse", method: .get) { $0.bytes }
            let (i, m) = try await (image, mix)
            #expect(Bool(i == soloImage), "the image")
            #expect(Bool(m == soloMix), "the mixing figure")
        }
    }
}
