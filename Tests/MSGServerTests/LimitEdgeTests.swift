import Foundation
import Hummingbird
import MSGGen
@testable import MSGServer
import Testing

/// README "Limits", at each edge: the value at the limit is accepted, one past
/// it is refused with a 400 naming the parameter. Parsing only (no rendering),
/// through the same functions the routes call.
@Suite struct LimitEdgeTests {
    static let sg = stylegan.name

    /// A seed list of exactly `length` characters holding `count` distinct seeds
    /// (ranges `lo-lo` with zero-padded bounds), to hit the 256-character limit.
    static func paddedList(count: Int, length: Int) -> String {
        var widths = (0..<2 * count).map { String($0 / 2 + 1).count }   // digits per bound
        var total = widths.reduce(0, +) + count + (count - 1)            // "-" per part, commas
        var i = 0
        while total < length {
            precondition(i < widths.count * 10, "cannot pad \(count) seeds to \(length) characters")
            if widths[i % widths.count] < 10 { widths[i % widths.count] += 1; total += 1 }
            i += 1
        }
        precondition(total == length)
        return (0..<count).map { k -> String in
            let s = String(k + 1)
            func pad(_ w: Int) -> String { String(repeating: "0", count: max(0, w - s.count)) + s }
            return pad(widths[2 * k]) + "-" + pad(widths[2 * k + 1])
        }.joined(separator: ",")
    }

    static let accepted: [String] = [
        "/v1/image?seed=0",
        "/v1/image?seed=4294967295",
        "/v1/grid?seed=4294967295&count=1",
        "/v1/grid?seed=4294967232&count=64",
        "/v1/grid?model=\(sg)&seed=0&count=64&scale=all",
        "/v1/image?model=\(sg)&seed=1&psi=100",
        "/v1/image?model=\(sg)&seed=1&psi=-100",
        "/v1/image?model=\(sg)&seed=1&cutoff=0",
        "/v1/image?model=\(sg)&seed=1&cutoff=1024",
        "/v1/image?model=\(sg)&seed=1&noise=random&noise_seed=4294967295",
        "/v1/mix?model=\(sg)&rows=0-15&cols=0-3&styles=coarse",
        "/v1/mix?model=\(sg)&rows=0-3&cols=0-15&styles=coarse",
        "/v1/mix?model=\(sg)&rows=0-7&cols=0-7&styles=coarse",
        "/v1/mix?model=\(sg)&rows=\(paddedList(count: 13, length: 256))&cols=1&styles=coarse",
        "/v1/mix?model=\(sg)&rows=1&cols=\(paddedList(count: 13, length: 256))&styles=coarse",
        "/v1/mix?model=\(sg)&rows=1&cols=2&styles=00\(String(repeating: ",0", count: 127))",
    ]

    static let refused: [(String, String)] = [
        ("/v1/image?seed=4294967296", "seed"),
        ("/v1/grid?seed=4294967295&count=2", "count"),
        ("/v1/grid?seed=4294967232&count=65", "count"),
        ("/v1/grid?seed=0&count=0", "count"),
        ("/v1/image?model=\(sg)&seed=1&psi=100.0000001", "psi"),
        ("/v1/image?model=\(sg)&seed=1&psi=-100.0000001", "psi"),
        ("/v1/image?model=\(sg)&seed=1&cutoff=-1", "cutoff"),
        ("/v1/image?model=\(sg)&seed=1&cutoff=1025", "cutoff"),
        ("/v1/image?model=\(sg)&seed=1&noise=random&noise_seed=4294967296", "noise_seed"),
        ("/v1/mix?model=\(sg)&rows=0-16&cols=0-2&styles=coarse", "rows"),
        ("/v1/mix?model=\(sg)&rows=0-2&cols=0-16&styles=coarse", "cols"),
        ("/v1/mix?model=\(sg)&rows=0-15&cols=0-4&styles=coarse", "cols"),
        ("/v1/mix?model=\(sg)&rows=0-4&cols=0-15&styles=coarse", "cols"),
        ("/v1/mix?model=\(sg)&rows=0-12&cols=0-4&styles=coarse", "cols"),   // 65 cells
        ("/v1/mix?model=\(sg)&rows=\(paddedList(count: 13, length: 257))&cols=1&styles=coarse", "rows"),
        ("/v1/mix?model=\(sg)&rows=1&cols=\(paddedList(count: 13, length: 257))&styles=coarse", "cols"),
        ("/v1/mix?model=\(sg)&rows=1&cols=2&styles=000\(String(repeating: ",0", count: 127))", "styles"),
    ]

    static let deps = try! ServerDependencies.make(models: [progan, stylegan], config: testConfig { $0.batch.workers = 1 })

    @Test(arguments: accepted)
    func valueAtTheLimitIsAccepted(_ uri: String) throws {
        #expect(throws: Never.self, "\(uri)") { _ = try CacheKeyTests.parse(uri, Self.deps.models) }
    }

    @Test(arguments: refused)
    func onePastTheLimitIsRefused(_ uri: String, _ parameter: String) throws {
        do {
            _ = try CacheKeyTests.parse(uri, Self.deps.models)
            Issue.record("\(uri) was accepted")
        } catch let e as ServerError {
            guard case .badParameter(let name, _) = e else { Issue.record("\(uri): \(e)"); return }
            #expect(name == parameter, "\(uri): \(e)")
        }
    }

    /// The pixel limit: exactly `maxPixels` accepted, one more refused (count for
    /// seeds pictures, scale for figures).
    @Test func pixelLimitEdges() throws {
        let deps = Self.deps
        func parse(_ uri: String, maxPixels: Int) throws -> PictureRequest {
            var limits = ServerLimits()
            limits.maxPixels = maxPixels
            let parts = uri.split(separator: "?", maxSplits: 1)
            let params = parts[1].split(separator: "&").map { p -> (key: Substring, value: Substring) in
                let kv = p.split(separator: "=", maxSplits: 1); return (kv[0], kv[1])
            }
            let q = try Query(params, allowed: PictureController.allowed[String(parts[0])]!)
            return parts[0] == "/v1/mix" ? try PictureRequest.mix(q, models: deps.models, limits: limits)
                : try PictureRequest.grid(q, models: deps.models, limits: limits)
        }
        let grid = "/v1/grid?model=\(Self.sg)&seed=0&count=6&scale=all"   // 6 x 64 x 64 x 5 scales
        let gridPixels = 6 * 64 * 64 * 5
        _ = try parse(grid, maxPixels: gridPixels)
        #expect(throws: ServerError.self) { _ = try parse(grid, maxPixels: gridPixels - 1) }
        let mix = "/v1/mix?model=\(Self.sg)&rows=1,2&cols=3&styles=fine"   // (2+1) x (1+1) x 64 x 64
        let mixPixels = 3 * 2 * 64 * 64
        _ = try parse(mix, maxPixels: mixPixels)
        #expect(throws: ServerError.self) { _ = try parse(mix, maxPixels: mixPixels - 1) }
    }

    @Test func gridCountDefaultsTo16() throws {
        let r = try CacheKeyTests.parse("/v1/grid?seed=42", Self.deps.models)
        guard case .seeds(let seeds) = r.kind else { Issue.record("not a seeds picture"); return }
        #expect(seeds == Array(42...57))
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let l = ServerLimits()
        #expect(l.maxCount == 64 && l.maxRowsOrCols == 16 && l.maxCells == 64 && l.maxListLength == 256 && l.maxPixels == 1 << 24)
        #expect(l.inlineEncodePixels == 1 << 16)
        let b = BatchConfig()
        #expect(b.maxBatch == 8 && b.maxQueue == 256 && b.batchWait == .zero)
        #expect(b.workers == min(4, ProcessInfo.processInfo.activeProcessorCount) && b.threads == ProcessInfo.processInfo.activeProcessorCount)
    }
}
