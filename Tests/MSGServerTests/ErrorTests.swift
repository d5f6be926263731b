import Foundation
import LoopbackHTTP
import Hummingbird
import HummingbirdTesting
import MSGGen
@testable import MSGServer
import Testing

/// Every error path: a 4xx (or 503) with `{"error": "..."}` naming the parameter.
@Suite struct ErrorTests {
    static let sg = stylegan.name

    static let cases: [(uri: String, status: Int, names: String)] = [
        ("/v1/image", 400, "seed"),
        ("/v1/image?seed=", 400, "seed"),
        ("/v1/image?seed=-1", 400, "seed"),
        ("/v1/image?seed=4294967296", 400, "seed"),
        ("/v1/image?seed=99999999999999999999999", 400, "seed"),
        ("/v1/image?seed=1.5", 400, "seed"),
        ("/v1/image?seed=abc", 400, "seed"),
        ("/v1/image?seed=+1", 400, "seed"),
        ("/v1/image?seed=1&seed=2", 400, "seed"),
        ("/v1/image?seed=1&bogus=2", 400, "bogus"),
        ("/v1/image?seed=1&count=2", 400, "count"),
        ("/v1/image?seed=1&scale=all", 400, "scale"),
        ("/v1/image?seed=1&scale=3", 400, "scale"),
        ("/v1/image?seed=1&scale=1024", 400, "scale"),
        ("/v1/image?seed=1&scale=%00", 400, "scale"),
        ("/v1/image?seed=1&model=nope", 404, "model"),
        ("/v1/image?seed=1&psi=0.5", 400, "psi"),
        ("/v1/image?seed=1&noise=none", 400, "noise"),
        ("/v1/image?seed=1&model=\(sg)&psi=nan", 400, "psi"),
        ("/v1/image?seed=1&model=\(sg)&psi=1e9", 400, "psi"),
        ("/v1/image?seed=1&model=\(sg)&cutoff=-1", 400, "cutoff"),
        ("/v1/image?seed=1&model=\(sg)&cutoff=x", 400, "cutoff"),
        ("/v1/image?seed=1&model=\(sg)&noise=loud", 400, "noise"),
        ("/v1/image?seed=1&model=\(sg)&noise_seed=3", 400, "noise_seed"),
        ("/v1/image?seed=1&model=\(sg)&noise=random&noise_seed=-3", 400, "noise_seed"),
        ("/v1/grid?count=4", 400, "seed"),
        ("/v1/grid?seed=1&count=0", 400, "count"),
        ("/v1/grid?seed=1&count=65", 400, "count"),
        ("/v1/grid?seed=1&count=ten", 400, "count"),
        ("/v1/grid?seed=4294967295&count=2", 400, "count"),
        ("/v1/grid?seed=1&scale=big", 400, "scale"),
        ("/v1/mix?rows=1&cols=2&styles=coarse", 400, "model"),
        ("/v1/mix?model=\(sg)&cols=2&styles=coarse", 400, "rows"),
        ("/v1/mix?model=\(sg)&rows=1&styles=coarse", 400, "cols"),
        ("/v1/mix?model=\(sg)&rows=1&cols=2", 400, "styles"),
        ("/v1/mix?model=\(sg)&rows=1,,2&cols=2&styles=coarse", 400, "rows"),
        ("/v1/mix?model=\(sg)&rows=5-2&cols=2&styles=coarse", 400, "rows"),
        ("/v1/mix?model=\(sg)&rows=0-4294967295&cols=2&styles=coarse", 400, "rows"),
        ("/v1/mix?model=\(sg)&rows=0-16&cols=2&styles=coarse", 400, "rows"),
        ("/v1/mix?model=\(sg)&rows=0-15&cols=0-4&styles=coarse", 400, "cols"),
        ("/v1/mix?model=\(sg)&rows=1&cols=2&styles=huge", 400, "styles"),
        ("/v1/mix?model=\(sg)&rows=1&cols=2&styles=0-99", 400, "styles"),
        ("/v1/mix?model=\(sg)&rows=1&cols=2&styles=coarse&seed=3", 400, "seed"),
        ("/v1/mix?model=\(sg)&rows=1&cols=2&styles=coarse&scale=5", 400, "scale"),
        ("/v1/models?x=1", 400, "x"),
        ("/v2/image?seed=1", 404, "no route"),
    ]

    @Test func everyBadRequestIsJSONNamingTheParameter() async throws {
        try await withApp { client, _ in
            for c in Self.cases {
                try await client.execute(uri: c.uri, method: .get) { r in
                    #expect(Int(r.status.code) == c.status, "\(c.uri): \(r.text)")
                    #expect(r.headers[.contentType]?.hasPrefix("application/json") == true, "\(c.uri)")
                    let msg = r.errorMessage ?? ""
                    #expect(msg.hasPrefix(c.names), "\(c.uri): \(msg)")
                }
            }
        }
    }

    @Test func picturesOverThePixelBudgetAre400() async throws {
        let config = testConfig { $0.limits.maxPixels = 5 * 64 * 64 }
        try await withApp(config: config) { client, _ in
            try await client.execute(uri: "/v1/grid?model=\(Self.sg)&seed=0&count=6", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorMessage?.hasPrefix("count:") == true)
            }
            try await client.execute(uri: "/v1/mix?model=\(Self.sg)&rows=1,2&cols=3&styles=fine", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorMessage?.hasPrefix("scale:") == true)
            }
        }
    }

    @Test func hugeQueriesAreRejectedNotExpanded() async throws {
        try await withApp { client, _ in
            let long = String(repeating: "1,", count: 5000) + "1"
            try await client.execute(uri: "/v1/mix?model=\(Self.sg)&rows=\(long)&cols=2&styles=coarse", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorMessage?.hasPrefix("rows:") == true)
            }
            let junk = (0..<500).map { "p\($0)=1" }.joined(separator: "&")
            try await client.execute(uri: "/v1/image?\(junk)", method: .get) { r in
                #expect(r.status == .badRequest)
            }
        }
    }

    @Test func duplicateModelNamesAreRefused() {
        #expect(throws: ServerError.self) { try ServerDependencies.make(models: [progan, progan], config: testConfig()) }
    }
}
