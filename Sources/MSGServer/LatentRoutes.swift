import Foundation
import Hummingbird
import MSGGen
import MSGImage
import MSGRender

/// Limits of the latent routes (`/v1/walk`, and `POST /v1/image|grid` with a
/// `.npy` body). Defaults shown by README and docs/openapi.yaml.
public struct LatentRouteLimits: Sendable, Equatable {
    /// Frames of one walk.
    public var maxFrames = 240
    /// Keyframes (`seeds`) of one walk.
    public var maxKeyframes = 16
    /// RGB pixels of all frames of one walk together (frames x R x R x scales).
    public var maxWalkPixels = 1 << 24
    /// Bytes of a posted `.npy` body.
    public var maxBodyBytes = 1 << 20
    /// Walks and posted-latents renders running at once (more: 503 + Retry-After).
    public var maxRunning = 1

    public init() {}
}

/// Registers `GET /v1/walk`, `POST /v1/image` and `POST /v1/grid`. These render
/// on their own thread with their own Renderer (a walk is one long sequential
/// job, not a batch of seeds), at most `limits.maxRunning` at a time; bytes
/// are those of `msg-gen walk` / `msg-gen --latents` for the same request.
public func addLatentRoutes(to router: Router<BasicRequestContext>, deps: ServerDependencies,
                            limits: LatentRouteLimits = LatentRouteLimits()) {
    let jobs = LatentJobs(maxRunning: limits.maxRunning)
    router.get("/v1/walk") { request, _ -> Response in
        let walk = try WalkQuery(Query(request.uri.queryParameters, allowed: WalkQuery.parameters), models: deps.models, limits: limits)
        var headers: HTTPFields = [.eTag: walk.etag, .cacheControl: "public, max-age=31536000, immutable"]
        if let inm = request.headers[.ifNoneMatch], PictureController.matches(inm, etag: walk.etag) {
            deps.metrics.cache("not_modified")
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = walk.request.format == .webp ? "image/webp" : "image/gif"
        if let bytes = deps.cache.get(walk.key) {
            deps.metrics.cache("hit")
            headers[.init("X-Cache")!] = "hit"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        deps.metrics.cache("miss")
        let model = walk.served.model, req = walk.request
        let bytes = try await jobs.run(model: model.name) {
            try WalkAnimation.encode(req, renderer: Renderer(model: model, batch: 8, threads: deps.pools.first?.config.threads ?? 1))
        }
        deps.cache.put(walk.key, bytes)
        headers[.init("X-Cache")!] = "miss"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
    for path in ["/v1/image", "/v1/grid"] {
        router.post(.init(path)) { request, _ -> Response in
            let q = try Query(request.uri.queryParameters, allowed: ["model", "kind", "scale", "psi", "cutoff", "noise", "noise_seed"])
            let served = try deps.models.resolve(q.string("model"))
            let model = served.model
            let type = request.headers[.contentType] ?? ""
            guard type.hasPrefix("application/x-npy") || type.hasPrefix("application/octet-stream") else {
                throw ServerError.badParameter("body", "Content-Type must be application/x-npy (a .npy array), got '\(Query.clip(type))'")
            }
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: limits.maxBodyBytes) } catch {
                throw ServerError.badParameter("body", "larger than \(limits.maxBodyBytes) bytes")
            }
            let bytes = Array(buffer: body)
            let kind = q.string("kind") ?? "z"
            let source: LatentsSource
            do {
                switch kind {
                case "z": source = .z(try LatentsFile.z(bytes, source: "body", model: model), file: "request body")
                case "w": source = .w(try LatentsFile.w(bytes, source: "body", model: model), file: "request body")
                default: throw ServerError.badParameter("kind", "'\(Query.clip(kind))' is not z or w")
                }
            } catch let e as LatentsError {
                throw ServerError.badParameter("body", e.description)
            }
            let single = path == "/v1/image"
            guard !single || source.count == 1 else { throw ServerError.badParameter("body", "/v1/image renders one vector; got \(source.count) (POST /v1/grid for several)") }
            guard source.count <= deps.limits.maxCount else { throw ServerError.badParameter("body", "\(source.count) vectors; at most \(deps.limits.maxCount)") }
            let (sel, idx) = try PictureRequest.scale(q, model, allowAll: !single)
            let pixels = Pictures.pixelCount(model: model, count: source.count, scaleIndices: idx)
            guard pixels <= deps.limits.maxPixels else {
                throw ServerError.badParameter("body", "\(source.count) vectors at scale \(sel.describe(in: model)) make \(pixels) pixels (limit \(deps.limits.maxPixels))")
            }
            let options = try PictureRequest.options(q, model)
            let png = try await jobs.run(model: model.name) {
                let renderer = Renderer(model: model, batch: 8, threads: deps.pools.first?.config.threads ?? 1)
                let picture = try Pictures.latentsPicture(model: model, file: "request body", count: source.count, options: options, scales: sel)
                try source.render(renderer, options: options) { _, scales, _, _ in try picture.add(scales) }
                return try picture.finish()
            }
            return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: png)))
        }
    }
}

/// Runs long renders on their own threads (never on the threads that run
/// tasks and serve HTTP),
/// at most `maxRunning` at once; more is 503 with Retry-After at once.
final class LatentJobs: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    let maxRunning: Int

    init(maxRunning: Int) { self.maxRunning = max(1, maxRunning) }

    private func admit() -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard running < maxRunning else { return false }
        running += 1
        return true
    }

    private func release() { lock.lock(); running -= 1; lock.unlock() }

    func run<T: Sendable>(model: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard admit() else { throw ServerError.queueFull(model: model, retryAfter: 1) }
        defer { release() }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            Thread { c.resume(with: Result { try work() }) }.start()
        }
    }
}

extension PictureRequest {
    static func etag(_ key: String) -> String {
        var h = FNV1a()
        h.add(key)
        return "\"\(h.hex)\""
    }
}

/// A validated `GET /v1/walk`.
struct WalkQuery: Sendable {
    static let parameters: Set<String> = ["model", "seeds", "frames", "scale", "format", "loop", "space", "interp", "fps",
                                          "psi", "cutoff", "noise", "noise_seed"]
    let served: ServedModel
    let request: WalkRequest
    let key: String

    /// Strong ETag from the key, as the PNG routes make theirs.
    var etag: String { PictureRequest.etag(key) }

    init(_ q: Query, models: ModelRegistry, limits: LatentRouteLimits) throws(ServerError) {
        served = try models.resolve(q.string("model"))
        let model = served.model
        let seeds = try q.seedList("seeds", limit: limits.maxKeyframes, maxLength: 256)
        guard seeds.count >= 2 else { throw .badParameter("seeds", "a walk needs two or more keyframes") }
        let frames = try q.int("frames", in: 1...limits.maxFrames) ?? 30
        let fps = try q.int("fps", in: 1...100) ?? 30
        let loop: Bool
        switch q.string("loop") ?? "0" {
        case "0", "false": loop = false
        case "1", "true": loop = true
        case let v: throw .badParameter("loop", "'\(Query.clip(v))' is not 0 or 1")
        }
        guard let format = AnimationFormat(rawValue: q.string("format") ?? "webp") else {
            throw .badParameter("format", "'\(Query.clip(q.string("format") ?? ""))' is not webp or gif")
        }
        guard let space = LatentSpace(rawValue: q.string("space") ?? "z") else { throw .badParameter("space", "not z or w") }
        if space == .w && model.family != .msgStyleGAN {
            throw .badParameter("space", "w needs an msg-stylegan model; \(model.name) is \(model.family.rawValue)")
        }
        var interp = space == .z ? Interpolation.slerp : .linear
        if let i = q.string("interp") {
            guard let v = Interpolation(rawValue: i) else { throw .badParameter("interp", "'\(Query.clip(i))' is not linear or slerp") }
            interp = v
        }
        let (sel, idx) = try PictureRequest.scale(q, model, allowAll: true)
        let options = try PictureRequest.options(q, model)
        let walk: LatentWalk
        do {
            walk = try LatentWalk(keyframes: seeds.map { Latents.gaussian(seed: $0, count: model.latentSize) }, noiseSeeds: seeds,
                                  framesPerSegment: frames, loop: loop, space: space, interpolation: interp)
        } catch { throw .badParameter("frames", error.description) }
        guard walk.frameCount <= limits.maxFrames else {
            throw .badParameter("frames", "the walk has \(walk.frameCount) frames (limit \(limits.maxFrames)); ask for fewer frames or keyframes")
        }
        let perFrame = WalkAnimation.framePixels(model: model, scaleIndices: idx)
        guard perFrame * walk.frameCount <= limits.maxWalkPixels else {
            throw .badParameter("frames", "\(walk.frameCount) frames of \(perFrame) pixels exceed \(limits.maxWalkPixels); ask for fewer frames or a smaller scale")
        }
        request = WalkRequest(walk: walk, options: options, scales: sel, format: format, fps: fps)
        key = "v1|\(served.fingerprint)|walk|seeds=\(seeds.map(String.init).joined(separator: ","))|frames=\(frames)|loop=\(loop)|space=\(space)|interp=\(interp)|fps=\(fps)|format=\(format)|scale=\(sel.describe(in: model))|all=\(idx.count > 1)|\(PictureRequest.optionsKey(options))"
    }
}
