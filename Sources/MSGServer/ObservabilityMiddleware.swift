import Foundation
import Hummingbird
import Logging

/// Around every request: turns any error into `{"error": ...}` JSON, records
/// the request in metrics (route, method, status, latency), logs one
/// structured line with the request id, and returns the id as X-Request-Id.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    static let routes: Set<String> = ["/", "/healthz", "/readyz", "/metrics", "/v1/models", "/v1/image", "/v1/grid", "/v1/mix", "/v1/walk"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ServerError {
            response = try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let e: ServerError = error.status == .notFound ? .notFound(Query.clip(request.uri.path))
                : .badParameter("request", error.body ?? error.status.reasonPhrase)
            response = try e.response(from: request, context: context)
            response.status = error.status
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            response = try ServerError.internalError("\(type(of: error))").response(from: request, context: context)
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let path = request.uri.path
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
