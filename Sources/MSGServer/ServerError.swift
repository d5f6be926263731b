import Foundation
import Hummingbird

/// Errors a request can get: always a 4xx/5xx with `{"error": "..."}`, the
/// message naming the parameter at fault.
public enum ServerError: Error, HTTPResponseError, Equatable, CustomStringConvertible {
    /// 400: a query parameter is missing, malformed, out of range or not allowed here.
    case badParameter(String, String)
    /// 404: no model of that name.
    case unknownModel(String, available: [String])
    /// 413-like limits are reported as 400 naming the parameter; this is the queue: 503.
    case queueFull(model: String, retryAfter: Int)
    /// 503: models not loaded yet / shutting down.
    case notReady(String)
    /// 404: no such route.
    case notFound(String)
    /// 405: the path exists, the method does not (answered with `Allow`).
    case methodNotAllowed(path: String, method: String, allow: [String])
    /// 503: the whole-request deadline passed before the picture was done.
    case timedOut(seconds: Double)
    /// 500: the engine failed (never expected; logged).
    case internalError(String)

    public var status: HTTPResponse.Status {
        switch self {
        case .badParameter: .badRequest
        case .unknownModel, .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .queueFull, .notReady, .timedOut: .serviceUnavailable
        case .internalError: .internalServerError
        }
    }

    public var description: String {
        switch self {
        case let .badParameter(name, message): "\(name): \(message)"
        case let .unknownModel(name, available):
            "model: no model named '\(name)' (available: \(available.joined(separator: ", ")))"
        case let .queueFull(model, _): "busy: the render queue of \(model) is full; retry later"
        case let .notReady(m): m
        case let .notFound(path): "no route \(path)"
        case let .methodNotAllowed(path, method, allow):
            "method: \(method) is not allowed on \(path) (allowed: \(allow.joined(separator: ", ")))"
        case let .timedOut(seconds): "busy: the picture was not done within the request deadline (\(seconds) s); retry later"
        case let .internalError(m): "internal error: \(m)"
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        switch self {
        case let .queueFull(_, retryAfter): headers[.retryAfter] = "\(retryAfter)"
        case .timedOut: headers[.retryAfter] = "1"
        case let .methodNotAllowed(_, _, allow): headers[.allow] = allow.joined(separator: ", ")
        default: break
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Self.json(description))))
    }

    /// `{"error": message}`, escaped by JSONSerialization.
    static func json(_ message: String) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": message], options: [.sortedKeys])) ?? Data("{\"error\":\"error\"}".utf8)
        return Array(data) + [0x0A]
    }
}
