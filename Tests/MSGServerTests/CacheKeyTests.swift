import Foundation
import Hummingbird
import HummingbirdTesting
import MSGGen
import MSGKernels
import MSGWeights
@testable import MSGServer
import Testing

/// README "Caching": the ETag and the cache key name the picture. Two requests
/// whose pictures can differ must never share one (a shared ETag answers 304 with
/// a stale picture held for a year under `immutable`; a shared cache key serves
/// the other picture outright), and new weights under an old name never match.
@Suite struct CacheKeyTests {
    static let sg = stylegan.name

    /// Each line changes one thing that changes the picture, against the first
    /// line of its group (a request that parses; every option also given explicitly
    /// at a non-default value somewhere).
    static let groups: [[String]] = [
        [   // seeds pictures on the StyleGAN model
            "/v1/image?model=\(sg)&seed=5",
            "/v1/image?model=\(sg)&seed=6",
            "/v1/image?model=\(sg)&seed=5&scale=32",
            "/v1/image?model=\(sg)&seed=5&psi=0.5",
            "/v1/image?model=\(sg)&seed=5&psi=0.6",
            "/v1/image?model=\(sg)&seed=5&psi=0.5&cutoff=2",
            "/v1/image?model=\(sg)&seed=5&psi=0.5&cutoff=3",
            "/v1/image?model=\(sg)&seed=5&cutoff=2",
            "/v1/image?model=\(sg)&seed=5&noise=none",
            "/v1/image?model=\(sg)&seed=5&noise=random",
            "/v1/image?model=\(sg)&seed=5&noise=random&noise_seed=1",
            "/v1/image?model=\(sg)&seed=5&noise=random&noise_seed=2",
            "/v1/grid?model=\(sg)&seed=5&count=2",
            "/v1/grid?model=\(sg)&seed=5&count=3",
            "/v1/grid?model=\(sg)&seed=6&count=2",
            "/v1/grid?model=\(sg)&seed=5&count=2&scale=all",
            "/v1/grid?model=\(sg)&seed=5&count=2&scale=16",
            "/v1/grid?model=\(sg)&seed=5&count=2&psi=0.5",
            "/v1/grid?model=\(sg)&seed=5&count=2&noise=none",
            "/v1/image?seed=5",   // the other model
        ],
        [   // mixing figures
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse",
            "/v1/mix?model=\(sg)&rows=1,3&cols=3&styles=coarse",
            "/v1/mix?model=\(sg)&rows=2,1&cols=3&styles=coarse",
            "/v1/mix?model=\(sg)&rows=1,2&cols=4&styles=coarse",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3,4&styles=coarse",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=fine",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=0-2",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse&scale=all",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse&scale=8",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse&psi=0.5",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse&psi=0.5&cutoff=2",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse&noise=none",
            "/v1/mix?model=\(sg)&rows=1,2&cols=3&styles=coarse&noise=random&noise_seed=4",
        ],
    ]

    static func parse(_ uri: String, _ models: ModelRegistry) throws -> PictureRequest {
        let parts = uri.split(separator: "?", maxSplits: 1)
        let params = parts[1].split(separator: "&").map { p -> (key: Substring, value: Substring) in
            let kv = p.split(separator: "=", maxSplits: 1)
            return (kv[0], kv.count > 1 ? kv[1] : "")
        }
        let route = String(parts[0])
        let q = try Query(params, allowed: PictureController.allowed[route]!)
        switch route {
        case "/v1/image": return try PictureRequest.image(q, models: models, limits: ServerLimits())
        case "/v1/grid": return try PictureRequest.grid(q, models: models, limits: ServerLimits())
        default: return try PictureRequest.mix(q, models: models, limits: ServerLimits())
        }
    }

    @Test func everyPictureChangingOptionChangesKeyAndETag() async throws {
        let deps = try ServerDependencies.make(models: [progan, stylegan], config: testConfig())
        defer { Task { for p in deps.pools { await p.shutdown() } } }
        for group in Self.groups {
            let requests = try group.map { try Self.parse($0, deps.models) }
            for i in requests.indices {
                for j in requests.indices where j > i {
                    #expect(requests[i].key != requests[j].key, "same cache key: \(group[i]) and \(group[j])")
                    #expect(requests[i].etag != requests[j].etag, "same ETag: \(group[i]) and \(group[j])")
                }
            }
            // And the same request names the same picture.
            let again = try group.map { try Self.parse($0, deps.models) }
            #expect(again.map(\.etag) == requests.map(\.etag))
        }
    }

    /// Through HTTP: a cached psi=0.5 picture is not served for psi=0.6, and
    /// psi=0.5's ETag does not answer 304 for psi=0.6.
    @Test func aCachedPictureIsNeverServedForOtherOptions() async throws {
        try await withApp { client, _ in
            let base = "/v1/image?model=\(Self.sg)&seed=5"
            let (etag, first) = try await client.execute(uri: base + "&psi=0.5", method: .get) { r -> (String, [UInt8]) in
                let e = try #require(r.headers[.eTag])
                return (e, r.bytes)
            }
            for other in ["&psi=0.6", "&psi=0.5&cutoff=2", "&psi=0.5&noise=none", "&psi=0.5&noise=random&noise_seed=3"] {
                try await client.execute(uri: base + other, method: .get, headers: [.ifNoneMatch: etag]) { r in
                    #expect(r.status == .ok, "\(other) answered \(r.status) to the psi=0.5 ETag")
                    #expect(r.headers[.init("X-Cache")!] == "miss", "\(other)")
                    #expect(Bool(r.bytes != first), "\(other) gave psi=0.5's picture")
                }
            }
        }
    }

    /// `serve --precision bf16` pictures differ from float32 ones: another
    /// fingerprint (so other ETags); float32's is the one it always had.
    @Test(.enabled(if: Precision.bf16Supported && KernelISA.active == .avx512))
    func bf16ModelsHaveTheirOwnFingerprint() throws {
        let file = try RandomModels.proGAN(depth: 3, latentSize: 16, seed: 1, name: "faces")
        let fp32 = try ServedModel.fingerprint(Model(file: file))
        let bf16 = try ServedModel.fingerprint(Model(file: file, precision: .bf16))
        #expect(fp32 != bf16)
        #expect(try fp32 == ServedModel.fingerprint(Model(file: RandomModels.proGAN(depth: 3, latentSize: 16, seed: 1, name: "faces"))))
    }

    /// Two files with the same name, shapes and tensor names but other values
    /// (a retrained model): their pictures must have different ETags.
    @Test func newWeightsUnderTheSameNameChangeTheETag() async throws {
        let a = try Model(file: RandomModels.proGAN(depth: 2, latentSize: 8, seed: 1, name: "faces"))
        let b = try Model(file: RandomModels.proGAN(depth: 2, latentSize: 8, seed: 2, name: "faces"))
        #expect(a.name == b.name)
        let fa = try ServedModel.fingerprint(a), fb = try ServedModel.fingerprint(b)
        #expect(fa != fb)
        #expect(try fa == ServedModel.fingerprint(try Model(file: RandomModels.proGAN(depth: 2, latentSize: 8, seed: 1, name: "faces"))))
        func etag(_ m: Model) async throws -> String {
            try await withApp([m]) { client, _ in
                try await client.execute(uri: "/v1/image?seed=1", method: .get) { r in
                    #expect(r.status == .ok)
                    return try #require(r.headers[.eTag])
                }
            }
        }
        let ea = try await etag(a), eb = try await etag(b)
        #expect(ea != eb)
    }
}
