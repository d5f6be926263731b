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
        let query = try Query(raw: request.uri.query, allowed: Self.allowed[request.uri.path] ?? [])
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
        let bytes = try await render(picture)
        headers[.init("X-Cache")!] = "miss"
        context.logger.debug("rendered", metadata: ["key": "\(picture.key)", "images": "\(picture.imageCount)", "bytes": "\(bytes.count)"])
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The picture's PNG: one render per key however many identical requests
    /// are in flight (the render caches its bytes), bounded by the request
    /// deadline (then 503 with Retry-After; the render is dropped if nobody else waits).
    func render(_ picture: PictureRequest) async throws -> [UInt8] {
        let deps = deps
        let deadline = deps.connections.requestTimeout
        return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                try await deps.inFlight.bytes(for: picture.key, model: picture.served.name) {
                    let bytes = try await picture.png(inlinePixels: deps.limits.inlineEncodePixels)
                    deps.cache.put(picture.key, bytes)
                    deps.metrics.cacheBytes(deps.cache.usage.bytes)
                    return bytes
                }
            }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let bytes = first else {
                try Task.checkCancellation()
                deps.metrics.abandoned(reason: "deadline")
                throw ServerError.timedOut(seconds: deadline.inSeconds)
            }
            return bytes
        }
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
