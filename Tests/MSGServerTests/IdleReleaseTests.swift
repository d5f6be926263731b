import Foundation
import LoopbackHTTP
import MSGGen
import MSGServer
import MSGTensor
import Testing

/// Issue 22 item 1: a long-running server gives back what a rare large pass
/// took once its worker has idled for `BatchConfig.idleRelease`, and renders
/// the same afterwards.
@Suite struct IdleReleaseTests {
    @Test func largePassBuffersAreGivenBackAfterIdling() async throws {
        var config = BatchConfig()
        config.threads = 2
        config.maxBatch = 8
        config.batchWait = .milliseconds(50)   // let the 8 jobs of one request share a pass
        config.idleRelease = .milliseconds(20)
        let pool = RenderPool(model: stylegan, config: config, metrics: ServerMetrics())
        let jobs: [RenderPool.Job] = (0..<8).map { .seed(UInt32($0)) }
        let before = try await pool.withImages(jobs, options: RenderOptions()) { $0 }
        // Polled with a generous deadline: no timing assert.
        let deadline = Date(timeIntervalSinceNow: 30)
        while pool.idleReleases == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(pool.idleReleases >= 1)
        let after = try await pool.withImages(jobs, options: RenderOptions()) { $0 }
        #expect(after == before)
        // A one-image pass is the steady state: it is never given back.
        let released = pool.idleReleases
        _ = try await pool.withImages([.seed(3)], options: RenderOptions()) { $0 }
        let quiet = Date(timeIntervalSinceNow: 0.3)
        while Date() < quiet { try await Task.sleep(for: .milliseconds(20)) }
        #expect(pool.idleReleases <= released + 1)   // at most the release of the 8-image pass above
        await pool.shutdown()
    }
}

/// Issue 14 item 9 on the server: a wrapped multi-scale sheet is the CLI's
/// picture byte for byte (both compose through MSGRender).
@Suite struct WrappedSheetTests {
    @Test func wrappedSheetMatchesTheCLI() async throws {
        let cli = try cliPNG(["--weights", proganPath, "--seed", "100", "--grid", "64", "--scales", "all"])
        let served = try await withApp([progan]) { client, _ in
            try await client.execute(uri: "/v1/grid?seed=100&count=64&scale=all", method: .get) { r in
                #expect(r.status == .ok, "\(r.text)")
                return r.bytes
            }
        }
        #expect(served == cli)
    }
}
