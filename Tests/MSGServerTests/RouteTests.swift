import Foundation
import LoopbackHTTP
import Hummingbird
import HummingbirdTesting
import MSGGen
import MSGImage
@testable import MSGServer
import Testing

@Suite struct EndpointTests {
    @Test func modelsListsEveryModelWithDefaults() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/models", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
                let obj = try JSONSerialization.jsonObject(with: Data(r.bytes)) as! [String: Any]
                let list = obj["models"] as! [[String: Any]]
                #expect(list.count == 2)
                #expect(list[0]["name"] as? String == progan.name)
                #expect(list[0]["family"] as? String == "msg-progan")
                #expect(list[0]["resolutions"] as? [Int] == progan.resolutions)
                #expect(list[0]["latent_size"] as? Int == progan.latentSize)
                #expect(list[0]["precision"] as? String == "fp32")
                #expect(list[0]["default"] as? Bool == true)
                #expect(list[0]["style_layers"] is NSNull)
                #expect(list[1]["family"] as? String == "msg-stylegan")
                #expect(list[1]["style_layers"] as? Int == stylegan.styleLayerCount)
                let defaults = list[1]["defaults"] as! [String: Any]
                #expect(defaults["noise"] as? String == "const")
                #expect(defaults["psi"] != nil)
            }
        }
    }

    @Test func healthReadyAndPage() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.text.contains("ok"))
            }
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.text.contains(progan.name))
            }
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                #expect(r.text.contains("<title>msg-gen</title>"))
                #expect(r.text.contains("/v1/mix?"))
            }
        }
    }

    @Test func imageIsAPNGOfTheLargestScale() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/image?seed=42", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "image/png")
                let (img, text) = try PNG.decode(r.bytes)
                #expect(img.width == progan.resolutions.last!)
                #expect(text["Seeds"] == "42")
                #expect(r.headers[.init("X-Request-Id")!] != nil)
            }
            try await client.execute(uri: "/v1/image?seed=7&scale=8", method: .get) { r in
                #expect(r.status == .ok)
                let width = try PNG.decode(r.bytes).image.width
                #expect(width == 8)
            }
        }
    }

    @Test func metricsCountRequestsBatchesAndCache() async throws {
        try await withApp { client, _ in
            _ = try await client.execute(uri: "/v1/image?seed=1", method: .get)
            _ = try await client.execute(uri: "/v1/image?seed=1", method: .get)
            _ = try await client.execute(uri: "/v1/image?seed=x", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
                let t = r.text
                #expect(t.contains(#"msg_gen_requests_total{route="/v1/image",method="GET",status="200"} 2"#))
                #expect(t.contains(#"msg_gen_requests_total{route="/v1/image",method="GET",status="400"} 1"#))
                #expect(t.contains("msg_gen_request_duration_seconds_bucket"))
                #expect(t.contains("msg_gen_batch_size_bucket"))
                #expect(t.contains("msg_gen_queue_depth"))
                #expect(t.contains(#"msg_gen_cache_total{outcome="hit"} 1"#))
                #expect(t.contains(#"msg_gen_cache_total{outcome="miss"} 1"#))
            }
        }
    }
}

// MARK: - Same bytes as the CLI

@Suite struct SameBytesAsCLITests {
    /// The picture as served, encoded in the request's task (the default for
    /// these sizes) and again on NIO's thread pool (`inlineEncodePixels` 0):
    /// both must be the same bytes.
    func serverPNG(_ uri: String, models: [Model] = [progan, stylegan]) async throws -> [UInt8] {
        var bodies: [[UInt8]] = []
        for inline in [ServerLimits().inlineEncodePixels, 0] {
            bodies.append(try await withApp(models, config: testConfig { $0.limits.inlineEncodePixels = inline }) { client, _ in
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .ok, "\(uri): \(r.text)")
                    return r.bytes
                }
            })
        }
        #expect(bodies[0] == bodies[1], "\(uri): encoded on the thread pool differs")
        return bodies[0]
    }

    @Test func image() async throws {
        let cli = try cliPNG(["--weights", proganPath, "--seed", "42"])
        #expect(try await serverPNG("/v1/image?seed=42") == cli)
    }

    @Test func imageAtAScale() async throws {
        let cli = try cliPNG(["--weights", proganPath, "--seed", "3", "--scales", "8"])
        #expect(try await serverPNG("/v1/image?seed=3&scale=8") == cli)
    }

    @Test func grid() async throws {
        let cli = try cliPNG(["--weights", proganPath, "--seed", "42", "--grid", "16"])
        #expect(try await serverPNG("/v1/grid?seed=42&count=16") == cli)
    }

    @Test func multiScaleSheet() async throws {
        let cli = try cliPNG(["--weights", proganPath, "--seed", "10", "--grid", "5", "--scales", "all"])
        #expect(try await serverPNG("/v1/grid?seed=10&count=5&scale=all") == cli)
    }

    @Test func styleGANGridWithOptions() async throws {
        let cli = try cliPNG(["--weights", styleganPath, "--seed", "5", "--grid", "3", "--psi", "0.5", "--noise", "random", "--noise-seed", "9"])
        let uri = "/v1/grid?model=\(stylegan.name)&seed=5&count=3&psi=0.5&noise=random&noise_seed=9"
        #expect(try await serverPNG(uri) == cli)
    }

    @Test func mixFigure() async throws {
        let cli = try cliPNG(["mix", "--weights", styleganPath, "--rows", "1,2,3", "--cols", "4,5", "--styles", "coarse"])
        #expect(try await serverPNG("/v1/mix?model=\(stylegan.name)&rows=1,2,3&cols=4,5&styles=coarse") == cli)
    }

    @Test func mixFigureAtEveryScaleWithPsi() async throws {
        let cli = try cliPNG(["mix", "--weights", styleganPath, "--rows", "7", "--cols", "8-9", "--styles", "4-7",
                              "--scales", "all", "--psi", "0.7"])
        #expect(try await serverPNG("/v1/mix?model=\(stylegan.name)&rows=7&cols=8-9&styles=4-7&scale=all&psi=0.7") == cli)
    }
}

// MARK: - Caching

@Suite struct CachingTests {
    @Test func etagCacheControlAnd304() async throws {
        try await withApp { client, _ in
            let etag = try await client.execute(uri: "/v1/image?seed=5", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(r.headers[.init("X-Cache")!] == "miss")
                let e = try #require(r.headers[.eTag])
                #expect(e.hasPrefix("\"") && e.hasSuffix("\"") && !e.hasPrefix("W/"))
                return e
            }
            try await client.execute(uri: "/v1/image?seed=5", method: .get, headers: [.ifNoneMatch: etag]) { r in
                #expect(r.status == .notModified)
                #expect(r.headers[.eTag] == etag)
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v1/image?seed=5", method: .get, headers: [.ifNoneMatch: "\"other\", W/\(etag)"]) { r in
                #expect(r.status == .notModified)
            }
            try await client.execute(uri: "/v1/image?seed=5", method: .get, headers: [.ifNoneMatch: "\"other\""]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.init("X-Cache")!] == "hit")
            }
            try await client.execute(uri: "/v1/image?seed=6", method: .get) { r in
                #expect(r.headers[.eTag] != etag)
            }
        }
    }

    @Test func cacheSizeZeroDisablesIt() async throws {
        try await withApp(config: testConfig { $0.cacheBytes = 0 }) { client, deps in
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/image?seed=5", method: .get) { r in
                    #expect(r.headers[.init("X-Cache")!] == "miss")
                }
            }
            #expect(deps.cache.usage.count == 0)
        }
    }

    @Test func lruEvictsLeastRecentlyUsedWithinBytes() {
        let entry = [UInt8](repeating: 1, count: 1000)
        let cost = PNGCache.cost(key: "a", value: entry)
        let cache = PNGCache(capacityBytes: 2 * cost)
        cache.put("a", entry)
        cache.put("b", entry)
        #expect(cache.get("a") != nil)   // a is now the most recent
        cache.put("c", entry)            // evicts b
        #expect(cache.get("b") == nil)
        #expect(cache.get("a") != nil && cache.get("c") != nil)
        #expect(cache.usage.bytes <= 2 * cost)
        cache.put("huge", [UInt8](repeating: 0, count: 10 * cost))   // larger than the cache: not kept
        #expect(cache.get("huge") == nil && cache.usage.count == 2)
    }
}

// MARK: - Batching and the queue bound

@Suite struct BatchingTests {
    /// The worker holding the first image waits for batch-mates until its batch of
    /// 8 is full (a minute at most, never reached when the 8 requests arrive), so the
    /// 8 images take exactly one forward pass whatever the machine's speed; the
    /// second worker does not start a part-filled batch of its own meanwhile.
    @Test func concurrentRequestsShareForwardPassesAndKeepTheirBits() async throws {
        let config = testConfig { $0.batch.maxBatch = 8; $0.batch.batchWait = .seconds(60); $0.cacheBytes = 0; $0.batch.workers = 2 }
        let solo = try cliPNG(["--weights", proganPath, "--seed", "103"])
        try await withApp([progan], config: config) { client, deps in
            let bodies = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for i in 0..<8 {
                    group.addTask { try await client.execute(uri: "/v1/image?seed=\(100 + i)", method: .get) { (i, $0.bytes) } }
                }
                var out = [[UInt8]](repeating: [], count: 8)
                for try await (i, b) in group { out[i] = b }
                return out
            }
            #expect(bodies[3] == solo)
            let m = String(decoding: deps.metrics.exposition(), as: UTF8.self)
            let count = try #require(metricValue(m, "msg_gen_batch_size_count"))
            let sum = try #require(metricValue(m, "msg_gen_batch_size_sum"))
            #expect(sum == 8)
            #expect(count == 1, "8 concurrent images took \(count) forward passes")
        }
    }

    /// The first image holds the only queue place: its worker waits for a batch-mate
    /// (a minute at most) until the pool is shut down, which runs it at once. No
    /// sleeps: the second request is sent once the first is admitted.
    @Test func fullQueueAnswers503WithRetryAfter() async throws {
        let config = testConfig { $0.batch.maxQueue = 1; $0.batch.maxBatch = 2; $0.batch.batchWait = .seconds(60); $0.cacheBytes = 0 }
        try await withApp([progan], config: config) { client, deps in
            async let first = client.execute(uri: "/v1/image?seed=1", method: .get) { $0.status }
            try await waitUntil("the first request is admitted") { deps.pools[0].depth == 1 }
            try await client.execute(uri: "/v1/image?seed=2", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] != nil)
                #expect(r.errorMessage?.contains("queue") == true)
            }
            await deps.pools[0].shutdown()   // stops the wait: the queued image renders
            #expect(try await first == .ok)
        }
    }

    /// With a batch wait (a minute, never reached here) and two workers: an
    /// image whose options cannot join the batch one worker is filling is
    /// taken by the other worker at once (before this, it sat in the queue
    /// until the first batch's wait ended), and images that can join are left
    /// to the filling worker. Shutting the pool down ends both waits: one pass
    /// of 3, one of 1. No sleeps: each step waits for the pool's state.
    @Test func otherOptionsStartWhileABatchFills() async throws {
        let config = testConfig { $0.batch.maxBatch = 4; $0.batch.batchWait = .seconds(60); $0.cacheBytes = 0; $0.batch.workers = 2 }
        try await withApp([stylegan], config: config) { client, deps in
            let pool = deps.pools[0]
            let get = { @Sendable (seed: Int, psi: String) async throws -> HTTPResponse.Status in
                try await client.execute(uri: "/v1/image?seed=\(seed)&psi=\(psi)", method: .get) { $0.status }
            }
            async let first = get(1, "0.5")
            try await waitUntil("the first image is taken into a batch", deadline: .seconds(30)) { pool.depth == 1 && pool.queuedImages == 0 }
            async let other = get(2, "0.7")
            try await waitUntil("the other worker takes the image of other options", deadline: .seconds(30)) {
                pool.depth == 2 && pool.queuedImages == 0
            }
            async let mate1 = get(3, "0.5")
            async let mate2 = get(4, "0.5")
            try await waitUntil("the filling worker takes its batch-mates", deadline: .seconds(30)) {
                pool.depth == 4 && pool.queuedImages == 0
            }
            await pool.shutdown()
            let statuses = try await [first, other, mate1, mate2]
            #expect(statuses == [.ok, .ok, .ok, .ok])
            let m = String(decoding: deps.metrics.exposition(), as: UTF8.self)
            #expect(metricValue(m, "msg_gen_batch_size_count") == 2)
            #expect(metricValue(m, "msg_gen_batch_size_sum") == 4)
        }
    }

    @Test func aRequestLargerThanTheQueueRunsAlone() async throws {
        let config = testConfig { $0.batch.maxQueue = 2 }
        try await withApp([progan], config: config) { client, _ in
            try await client.execute(uri: "/v1/grid?seed=0&count=4", method: .get) { r in #expect(r.status == .ok) }
        }
    }
}

func metricValue(_ text: String, _ name: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
        return Double(line.split(separator: " ").last!)
    }
    return nil
}

// MARK: - Live, on loopback

@Suite struct LiveTests {
    @Test func servesOnLoopback() async throws {
        try await withApp(config: testConfig(), .live) { client, _ in
            try await client.execute(uri: "/v1/image?seed=42", method: .get) { r in
                #expect(r.status == .ok)
                let width = try PNG.decode(r.bytes).image.width
                #expect(width == progan.resolutions.last!)
            }
            try await client.execute(uri: "/v1/image?seed=-1", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorMessage?.hasPrefix("seed:") == true)
            }
        }
    }
}

// MARK: - docs/openapi.yaml matches the code

@Suite struct OpenAPITests {
    @Test func documentNamesEveryRouteAndParameter() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let paths = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  /"), line.hasSuffix(":") else { return nil }
            return String(line.dropFirst(2).dropLast())
        })
        #expect(paths == ObservabilityMiddleware.routes)
        for (route, params) in PictureController.allowed {
            let start = try #require(text.range(of: "\n  \(route):\n"))
            let rest = text[start.upperBound...]
            let section = rest.range(of: "\n  /").map { rest[..<$0.lowerBound] } ?? rest
            for p in params {
                #expect(section.contains("name: \(p)\n") || section.contains("parameters/\(p)\"") ||
                        (p == "scale" && section.contains("parameters/scaleAll\"")), "\(route) does not document \(p)")
            }
        }
    }
}
