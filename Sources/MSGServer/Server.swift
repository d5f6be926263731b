import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import MSGGen
import ServiceLifecycle

/// What the routes need, built once and injected (tests build their own).
public struct ServerDependencies: Sendable {
    public let models: ModelRegistry
    public let cache: PNGCache
    public let metrics: ServerMetrics
    public let limits: ServerLimits
    public let connections: ConnectionLimits
    /// Renders in flight by request key (identical requests share one).
    let inFlight: InFlightRenders

    public init(models: ModelRegistry, cache: PNGCache, metrics: ServerMetrics, limits: ServerLimits,
                connections: ConnectionLimits = ConnectionLimits()) {
        self.models = models; self.cache = cache; self.metrics = metrics; self.limits = limits
        self.connections = connections
        inFlight = InFlightRenders(metrics: metrics)
    }

    /// One render pool per model (names must be unique; the first model is the default).
    public static func make(models: [Model], config: ServerConfig, metrics: ServerMetrics = ServerMetrics(),
                            logger: Logger = Logger(label: "msg-gen.serve")) throws(ServerError) -> ServerDependencies {
        var seen = Set<String>()
        for m in models where !seen.insert(m.name).inserted {
            throw .badParameter("weights", "two models are named \(m.name); names come from msg-gen.name or the file stem")
        }
        var served: [ServedModel] = []
        for m in models {
            served.append(try ServedModel(model: m, pool: RenderPool(model: m, config: config.batch, metrics: metrics, logger: logger)))
        }
        return ServerDependencies(models: ModelRegistry(served), cache: PNGCache(capacityBytes: config.cacheBytes),
                                  metrics: metrics, limits: config.limits, connections: config.connections)
    }

    public var pools: [RenderPool] { models.models.map(\.pool) }
}

/// The router: every endpoint, with the observability middleware around it.
public func buildRouter(_ deps: ServerDependencies) -> Router<BasicRequestContext> {
    // HEAD everywhere GET is, with GET's status and headers and no body (RFC 9110 9.3.2).
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
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
        _ = try Query(raw: request.uri.query, allowed: [])
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

/// The application: the router behind request-target normalisation, served
/// by `ServeChannel` (Hummingbird's HTTP/1 channel with the connection limits
/// of `config.connections`), the render pools as a service (shut down after
/// the HTTP server has drained), and one log line with the URL and the
/// limits once listening.
public func buildApplication(config: ServerConfig, dependencies deps: ServerDependencies,
                             logger: Logger = Logger(label: "msg-gen.serve")) -> some ApplicationProtocol {
    let host = config.host
    let limits = config.connections
    let openFiles = ConnectionLimits.openFileLimit()
    let cap = limits.resolvedMaxConnections(openFileLimit: openFiles)
    let registry = ConnectionRegistry(cap: cap, metrics: deps.metrics)
    return Application(
        responder: RequestTargetResponder(inner: buildRouter(deps).buildResponder()),
        server: HTTPServerBuilder { responder in ServeChannel(responder: responder, limits: limits, registry: registry) },
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "msg-gen",
                             availableConnectionsDelegate: ConnectionCap(cap, logger: logger)),
        services: [RenderPoolsService(pools: deps.pools, logger: logger)],
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? config.port
            let urlHost = host.contains(":") ? "[\(host)]" : host
            logger.notice("msg-gen serve listening on http://\(urlHost):\(port)/",
                        metadata: ["models": "\(deps.models.models.map(\.name).joined(separator: ","))",
                                   "precision": "\(deps.models.models.first?.model.precision.rawValue ?? "fp32")",
                                   "workers": "\(config.batch.workers)", "threads": "\(config.batch.threads)",
                                   "executor": "\(ServerRuntime.executor.rawValue)",
                                   "max_batch": "\(config.batch.maxBatch)", "max_queue": "\(config.batch.maxQueue)",
                                   "batch_wait_ms": "\(config.batch.batchWaitSeconds * 1000)",
                                   "cache_bytes": "\(config.cacheBytes)",
                                   "max_connections": "\(cap)",
                                   "max_connections_from": "\(limits.maxConnections == nil ? "open-file limit \(openFiles) - \(ConnectionLimits.reservedFileDescriptors)" : "--max-connections")",
                                   "idle_timeout_s": "\(limits.idleTimeout.inSeconds)", "header_timeout_s": "\(limits.headerTimeout.inSeconds)",
                                   "request_timeout_s": "\(limits.requestTimeout.inSeconds)", "max_request_bytes": "\(limits.maxRequestBytes)"])
        },
        logger: logger
    )
}

/// Serves `models` until SIGINT/SIGTERM, then drains in-flight requests and exits.
public func runServer(models: [Model], config: ServerConfig, logger: Logger) async throws {
    let deps = try ServerDependencies.make(models: models, config: config, logger: logger)
    await ServerRuntime.verifiedExecutor()   // for the start-up line
    let app = buildApplication(config: config, dependencies: deps, logger: logger)
    try await app.runService()
}

/// A JSON response (sorted keys, trailing newline).
func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(bytes: Array(data) + [0x0A])))
}

