import Foundation
import LoopbackHTTP
import Hummingbird
import HummingbirdTesting
import MSGGen
@testable import MSGServer
import Testing

/// RFC 9110 / 9112 behaviour of every route, in-process.
@Suite struct HTTPSemanticsTests {
    static let getRoutes = ["/", "/healthz", "/readyz", "/metrics", "/v1/models", "/v1/image?seed=3",
                            "/v1/grid?seed=3&count=2", "/v1/mix?model=\(stylegan.name)&rows=1&cols=2&styles=coarse"]

    @Test(arguments: getRoutes)
    func headAnswersLikeGetWithoutABody(uri: String) async throws {
        try await withApp { client, _ in
            let get = try await client.execute(uri: uri, method: .get) { ($0.status, $0.headers, $0.bytes) }
            try await client.execute(uri: uri, method: .head) { r in
                #expect(r.status == get.0)
                #expect(r.bytes.isEmpty)
                // /metrics counts the GET itself, so only its length may differ.
                if uri != "/metrics" { #expect(r.headers[.contentLength] == "\(get.2.count)") }
                #expect(r.headers[.contentLength] != nil)
                for field in get.1 where ![.contentLength, .init("X-Request-Id")!, .init("X-Cache")!].contains(field.name) {
                    // /metrics and /readyz bodies may change between the calls; their headers do not.
                    #expect(r.headers[field.name] == field.value, "\(uri): \(field.name)")
                }
            }
        }
    }

    @Test func headOfAnUnknownPathIs404WithoutABody() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/nope", method: .head) { r in
                #expect(r.status == .notFound)
                #expect(r.bytes.isEmpty)
            }
        }
    }

    @Test(arguments: [HTTPRequest.Method.post, .put, .delete, .patch])
    func otherMethodsOnKnownPathsAre405WithAllow(method: HTTPRequest.Method) async throws {
        try await withApp { client, _ in
            // Every path but a route that takes the method (POST /v1/image and
            // /v1/grid take an .npy body of latents).
            for path in ObservabilityMiddleware.routes where !(ObservabilityMiddleware.methods[path] ?? []).contains(method) {
                let allow = path == "/v1/image" || path == "/v1/grid" ? "GET, POST, HEAD, OPTIONS" : "GET, HEAD, OPTIONS"
                try await client.execute(uri: path, method: method) { r in
                    #expect(r.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(r.headers[.allow] == allow, "\(method) \(path)")
                    #expect(r.errorMessage?.hasPrefix("method: \(method.rawValue)") == true)
                }
            }
            try await client.execute(uri: "/v2/nothing", method: method) { r in #expect(r.status == .notFound) }
        }
    }

    @Test func optionsListsTheMethods() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v1/image", method: .options) { r in
                #expect(r.status == .noContent)
                #expect(r.headers[.allow] == "GET, POST, HEAD, OPTIONS")
            }
            try await client.execute(uri: "/v1/mix", method: .options) { r in
                #expect(r.status == .noContent)
                #expect(r.headers[.allow] == "GET, HEAD, OPTIONS")
            }
        }
    }

    /// Harmless differences in how a URL is written reach the same picture.
    @Test(arguments: [
        "/v1/image?seed=%34%32", "/v1/%69mage?seed=42", "/v1/%69%6d%61%67%65?seed=42",
        "/v1/./image?seed=42", "/v1/x/../image?seed=42", "/v1/image?&seed=42&", "/v1/image?seed=42&&",
        "/v1/image?se%65d=42", "/v1/image?seed=42&scale=%6D%61%78", "/v1/image?seed=42&scale=ma%78",
    ])
    func equivalentTargetsGiveTheSamePicture(uri: String) async throws {
        try await withApp { client, _ in
            let plain = try await client.execute(uri: "/v1/image?seed=42", method: .get) { ($0.headers[.eTag], $0.bytes) }
            try await client.execute(uri: uri, method: .get) { r in
                #expect(r.status == .ok, "\(uri): \(r.errorMessage ?? "")")
                #expect(r.headers[.eTag] == plain.0)
                #expect(r.bytes == plain.1)
            }
        }
    }

    @Test func styleRangesWithSpacesAndPlusAreOneParameter() async throws {
        let sg = stylegan.name
        try await withApp { client, _ in
            let a = try await client.execute(uri: "/v1/mix?model=\(sg)&rows=1&cols=2&styles=coarse,fine", method: .get) { $0.bytes }
            try await client.execute(uri: "/v1/mix?model=\(sg)&rows=1&cols=2&styles=coarse%2Cfine", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.bytes == a)
            }
        }
    }

    @Test func malformedEscapesAre400NamingTheParameter() async throws {
        try await withApp { client, _ in
            for uri in ["/v1/image?seed=%4", "/v1/image?seed=%zz", "/v1/image?seed=4%FF2"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .badRequest, "\(uri)")
                    #expect(r.errorMessage?.hasPrefix("seed") == true, "\(uri): \(r.errorMessage ?? "")")
                }
            }
        }
    }

    @Test func targetNormalisation() {
        typealias T = RequestTargetResponder<RouterResponder<BasicRequestContext>>
        #expect(T.decodeUnreserved("/v1/%69mage%2f%2Fx") == "/v1/image%2F%2Fx")
        #expect(T.removeDotSegments("/a/./b/../c") == "/a/c")
        #expect(T.removeDotSegments("/a/b/..") == "/a/")
        #expect(T.removeDotSegments("/../a") == "/a")
        #expect(T.normalized("/v1/image?seed=1", uriPath: "/v1/image", query: "seed=1") == nil)
        #expect(T.normalized("http://h:8/v1/image?seed=1", uriPath: "/v1/image", query: "seed=1") == "/v1/image?seed=1")
        #expect(Query.formDecode("a+b%2C%2c") == "a b,,")
        #expect(Query.formDecode("%") == nil)
    }
}

/// Deadlines, cancellation and coalescing through the router (the render pool
/// held still by its test hook, so nothing here races a clock).
@Suite struct RenderLifecycleTests {
    @Test func pastTheRequestDeadlineIs503WithRetryAfterAndTheQueueEmpties() async throws {
        let config = testConfig { $0.connections.requestTimeout = .milliseconds(200); $0.cacheBytes = 0 }
        try await withApp([progan], config: config) { client, deps in
            let pool = deps.pools[0]
            pool.hold()
            defer { pool.resume() }
            try await client.execute(uri: "/v1/grid?seed=0&count=4", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "1")
                #expect(r.errorMessage?.contains("deadline") == true)
            }
            #expect(await eventually { pool.depth == 0 && pool.queuedImages == 0 })
            #expect(deps.inFlight.count == 0)
        }
    }

    @Test func aCancelledRequestLeavesTheQueue() async throws {
        let config = testConfig { $0.cacheBytes = 0; $0.batch.maxQueue = 8 }
        try await withApp([progan], config: config) { client, deps in
            let pool = deps.pools[0]
            pool.hold()
            defer { pool.resume() }
            let dropped = Task { try await client.execute(uri: "/v1/grid?seed=0&count=8", method: .get) { $0.status } }
            #expect(await eventually { pool.queuedImages == 8 })
            dropped.cancel()
            _ = await dropped.result
            #expect(await eventually { pool.depth == 0 && pool.queuedImages == 0 })
            // The freed slots admit the next request.
            pool.resume()
            try await client.execute(uri: "/v1/grid?seed=100&count=8", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test func identicalRequestsInFlightRenderOnce() async throws {
        let config = testConfig { $0.cacheBytes = 0 }
        try await withApp([progan], config: config) { client, deps in
            let pool = deps.pools[0]
            pool.hold()
            let bodies = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<6 {
                    group.addTask { try await client.execute(uri: "/v1/grid?seed=7&count=4", method: .get) { $0.bytes } }
                }
                #expect(await eventually { pool.queuedImages == 4 && metric(deps, "msg_gen_coalesced_total", "request") == 5 })
                pool.resume()
                return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
            }
            #expect(Set(bodies).count == 1)
            #expect(metric(deps, "msg_gen_images_rendered_total") == 4)
        }
    }

    @Test func sameSeedGridCellsOfConcurrentRequestsRenderOnce() async throws {
        let config = testConfig { $0.cacheBytes = 0 }
        let solo = try cliPNG(["--weights", proganPath, "--seed", "2", "--grid", "4"])
        try await withApp([progan], config: config) { client, deps in
            let pool = deps.pools[0]
            pool.hold()
            async let a = client.execute(uri: "/v1/grid?seed=0&count=4", method: .get) { $0.bytes }
            async let b = client.execute(uri: "/v1/grid?seed=2&count=4", method: .get) { $0.bytes }
            #expect(await eventually { pool.queuedImages == 6 })
            pool.resume()
            let (_, second) = try await (a, b)
            #expect(second == solo)
            #expect(metric(deps, "msg_gen_images_rendered_total") == 6)
            #expect(metric(deps, "msg_gen_coalesced_total", "image") == 2)
        }
    }
}

/// `/v1/models` advertises only style ranges `/v1/mix` accepts, for every fixture model.
@Suite struct StyleRangeConsistencyTests {
    static let fixtureModels: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") && !$0.contains(".expected.") }.sorted()
    }()

    @Test(arguments: fixtureModels)
    func everyAdvertisedStyleRangeMixes(file: String) async throws {
        let model = try Model.load(path: fixtures.appendingPathComponent(file).path)
        try await withApp([model]) { client, _ in
            let list = try await client.execute(uri: "/v1/models", method: .get) { r in
                try JSONSerialization.jsonObject(with: Data(r.bytes)) as! [String: Any]
            }["models"] as! [[String: Any]]
            let entry = try #require(list.first)
            guard model.family == .msgStyleGAN else {
                #expect(entry["style_names"] == nil)
                return
            }
            let names = try #require(entry["style_names"] as? [String: String])
            #expect(names["coarse"] == "0-3")
            for (name, layers) in names {
                #expect(try model.styleLayers(name) == model.styleLayers(layers))
                try await client.execute(uri: "/v1/mix?rows=1&cols=2&styles=\(name)", method: .get) { r in
                    #expect(r.status == .ok, "\(file): \(name) -> \(r.errorMessage ?? "")")
                }
            }
            for name in ["coarse", "middle", "fine"] where names[name] == nil {
                try await client.execute(uri: "/v1/mix?rows=1&cols=2&styles=\(name)", method: .get) { r in
                    #expect(r.status == .badRequest, "\(file): \(name) is not advertised, so it must not work")
                }
            }
        }
    }
}

/// A counter's value from the exposition (summed over series whose labels contain `label`).
func metric(_ deps: ServerDependencies, _ name: String, _ label: String? = nil) -> Double {
    let text = String(decoding: deps.metrics.exposition(), as: UTF8.self)
    var sum = 0.0
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
        if let label, !line.contains("\"\(label)\"") { continue }
        sum += Double(line.split(separator: " ").last!) ?? 0
    }
    return sum
}
