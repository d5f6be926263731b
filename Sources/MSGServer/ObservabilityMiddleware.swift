import Foundation
import Hummingbird
import Logging

/// Around every request: answers a method a known path does not take with 405
/// and `Allow` (OPTIONS with 204 and `Allow`), turns any error into
/// `{"error": ...}` JSON, records the request in metrics (route, method,
/// status, latency), logs one structured line with the request id, and returns
/// the id as X-Request-Id.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    /// Every route and the methods it answers (HEAD wherever GET: the router
    /// generates it). A new route is added here too, or it answers 405/404 only.
    static let methods: [String: [HTTPRequest.Method]] = [
        "/": [.get], "/healthz": [.get], "/readyz": [.get], "/metrics": [.get],
        "/v1/models": [.get], "/v1/image": [.get, .post], "/v1/grid": [.get, .post], "/v1/mix": [.get],
        "/v1/walk": [.get],
    ]

    /// The known paths (metrics label every other one "unmatched").
    static let routes = Set(methods.keys)

    /// The `Allow` list of a known path (RFC 9110 10.2.1), nil for an unknown one.
    static func allow(_ path: String) -> [String]? {
        guard let methods = methods[path] else { return nil }
        var names = methods.map(\.rawValue)
        if methods.contains(.get) && !methods.contains(.head) { names.append("HEAD") }
        return names + ["OPTIONS"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let path = request.uri.path
        var response: Response
        do {
            if request.method == .options, let allow = Self.allow(path) {
                response = Response(status: .noContent, headers: [.allow: allow.joined(separator: ", ")])
            } else {
                response = try await next(request, context)
            }
        } catch let error as ServerError {
            response = try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let e: ServerError
            if error.status == .notFound, let allow = Self.allow(path) {
                e = .methodNotAllowed(path: path, method: Query.clip(request.method.rawValue), allow: allow)
            } else if error.status == .notFound {
                e = .notFound(Query.clip(path))
            } else {
                e = .badParameter("request", error.body ?? error.status.reasonPhrase)
            }
            let status = e.status == .methodNotAllowed ? e.status : error.status
            response = try e.response(from: request, context: context)
            response.status = status
        } catch is CancellationError {
            // The client went away (its connection closed): nobody reads this.
            metrics.abandoned(reason: "client_gone")
            response = try ServerError.notReady("cancelled").response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            response = try ServerError.internalError("\(type(of: error))").response(from: request, context: context)
        }
        if request.method == .head { response = response.createHeadResponse() }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let route = Self.routes.contains(path) ? path : "unmatched"
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, nanoseconds: elapsed)
        response.headers[.init("X-Request-Id")!] = context.id
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)",
            "path": "\(Query.clip(path))",
            "status": "\(response.status.code)",
            "ms": "\(String(format: "%.1f", Double(elapsed) / 1e6))",
            "cache": "\(response.headers[.init("X-Cache")!] ?? "-")",
        ])
        return response
    }
}
