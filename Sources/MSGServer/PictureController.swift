import Hummingbird
import Logging

/// image, grid and mix: validate, answer 304 or a cached PNG when possible,
/// else render through the batching pool, cache and answer.
struct PictureController: Sendable {
    let deps: ServerDependencies

    static let pictureParameters: Set<String> = ["model", "seed", "scale", "psi", "cutoff", "noise", "noise_seed"]
    static let allowed: [String: Set<String>] = [
        "/v1/image": pictureParameters,
        "/v1/grid": pictureParameters.union(["count"]),
        "/v1/mix": pictureParameters.subtracting(["seed"]).union(["rows", "cols", "styles"]),
    ]

    func serve(_ request: Request, _ context: BasicRequestContext,
               parse: (Query) throws(ServerError) -> PictureRequest) async throws -> Response {
        let query = try Query(request.uri.queryParameters, allowed: Self.allowed[request.uri.path] ?? [])
        let picture = try parse(query)
        let etag = picture.etag
        var headers: HTTPFields = [
            .eTag: etag,
            .cacheControl: "public, max-age=31536000, immutable",
        ]
        if let inm = request.headers[.ifNoneMatch], Self.matches(inm, etag: etag) {
            deps.metrics.cache("not_modified")
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "image/png"
        if let bytes = deps.cache.get(picture.key) {
            deps.metrics.cache("hit")
            headers[.init("X-Cache")!] = "hit"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        deps.metrics.cache("miss")
        let bytes = try await picture.png()
        deps.cache.put(picture.key, bytes)
        deps.metrics.cacheBytes(deps.cache.usage.bytes)
        headers[.init("X-Cache")!] = "miss"
        context.logger.debug("rendered", metadata: ["key": "\(picture.key)", "images": "\(picture.imageCount)", "bytes": "\(bytes.count)"])
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// If-None-Match: `*` or a list of entity tags, compared weakly (RFC 9110 13.1.2).
    static func matches(_ header: String, etag: String) -> Bool {
        let opaque = etag
        for raw in header.split(separator: ",") {
            var t = raw.trimmingCharacters(in: .whitespaces)
            if t == "*" { return true }
            if t.hasPrefix("W/") { t.removeFirst(2) }
            if t == opaque { return true }
        }
        return false
    }
}
