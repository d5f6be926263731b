import Foundation
import Hummingbird
import Logging
import MSGGen
import ServiceLifecycle

/// What the routes need, built once and injected (tests build their own).
public struct ServerDependencies: Sendable {
    public let models: ModelRegistry
    public let cache: PNGCache
    public let metrics: ServerMetrics
    public let limits: ServerLimits

    public init(models: ModelRegistry, cache: PNGCache, metrics: ServerMetrics, limits: ServerLimits) {
        self.models = models; self.cache = cache; self.metrics = metrics; self.limits = limits
    }

    /// One render pool per model (names must be unique; the first model is the default).
    public static func make(models: [Model], config: ServerConfig, metrics: ServerMetrics = ServerMetrics(),
                            logger: Logger = Logger(label: "msg-gen.serve")) throws(ServerError) -> ServerDependencies {
        var seen = Set<String>()
        for m in models where !seen.insert(m.name).inserted {
            throw .badParameter("weights", "two models are named \(m.name); names come from msg-gen.name or the file stem")
        }
        let served = models.map { ServedModel(model: $0, pool: RenderPool(model: $0, config: config.batch, metrics: metrics, logger: logger)) }
        return ServerDependencies(models: ModelRegistry(served), cache: PNGCache(capacityBytes: config.cacheBytes),
                                  metrics: metrics, limits: config.limits)
    }

    public var pools: [RenderPool] { models.models.map(\.pool) }
}

/// The router: every endpoint, with the observability middleware around it.
public func buildRouter(_ deps: ServerDependencies) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ObservabilityMiddleware(metrics: deps.metrics))
    let pictures = PictureController(deps: deps)

    router.get("/") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                 body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
    }
    router.get("/healthz") { _, _ in json(["status": "ok"]) }
    router.get("/readyz") { _, _ -> Response in
        guard !deps.models.models.isEmpty, deps.pools.allSatisfy({ !$0.isStopping }) else {
            throw ServerError.notReady("not ready: no models loaded or shutting down")
        }
        return json(["status": "ready", "models": deps.models.models.map(\.name)])
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: deps.metrics.exposition())))
    }
    router.get("/v1/models") { request, _ -> Response in
        _ = try Query(request.uri.queryParameters, allowed: [])
        let list = deps.models.models.enumerated().map { $1.description(isDefault: $0 == 0) }
        return json(["models": list])
    }
    router.get("/v1/image") { request, context in
        try await pictures.serve(request, context) { q throws(ServerError) in try .image(q, models: deps.models, limits: deps.limits) }
    }
    router.get("/v1/grid") { request, context in
        try await pictures.serve(request, context) { q throws(ServerError) in try .grid(q, models: deps.models, limits: deps.limits) }
    }
    router.get("/v1/mix") { request, context in
        try await pictures.serve(request, context) { q throws(ServerError) in try .mix(q, models: deps.models, limits: deps.limits) }
    }
    addLatentRoutes(to: router, deps: deps)  // /v1/walk, POST /v1/image|grid (LatentRoutes.swift)
    return router
}

/// The application: the router, the render pools as a service (shut down after
/// the HTTP server has drained), and one log line with the URL once listening.
public func buildApplication(config: ServerConfig, dependencies deps: ServerDependencies,
                             logger: Logger = Logger(label: "msg-gen.serve")) -> some ApplicationProtocol {
    let host = config.host
    return Application(
        router: buildRouter(deps),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "msg-gen"),
        services: [RenderPoolsService(pools: deps.pools, logger: logger)],
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? config.port
            let urlHost = host.contains(":") ? "[\(host)]" : host
            logger.notice("msg-gen serve listening on http://\(urlHost):\(port)/",
                        metadata: ["models": "\(deps.models.models.map(\.name).joined(separator: ","))",
                                   "max_batch": "\(config.batch.maxBatch)", "max_queue": "\(config.batch.maxQueue)",
                                   "cache_bytes": "\(config.cacheBytes)"])
        },
        logger: logger
    )
}

/// Serves `models` until SIGINT/SIGTERM, then drains in-flight requests and exits.
public func runServer(models: [Model], config: ServerConfig, logger: Logger) async throws {
    let deps = try ServerDependencies.make(models: models, config: config, logger: logger)
    let app = buildApplication(config: config, dependencies: deps, logger: logger)
    try await app.runService()
}

/// A JSON response (sorted keys, trailing newline).
func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(bytes: Array(data) + [0x0A])))
}
