import Hummingbird

/// Request targets that RFC 3986 (6.2.2) and RFC 9112 (3.2) make equivalent
/// reach the same route: percent-encoded unreserved characters are decoded
/// (`/v1/%69mage` = `/v1/image`), the remaining escapes' hex is upper-cased,
/// dot segments are removed (`/v1/./image`), and an absolute-form target
/// (`GET http://host/v1/image?seed=1`, which servers must accept) is reduced
/// to its path and query. The query is left as sent (Query decodes it).
struct RequestTargetResponder<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner

    func respond(to request: Request, context: Context) async throws -> Response {
        let raw = request.head.path ?? "/"
        guard let target = Self.normalized(raw, uriPath: request.uri.path, query: request.uri.query), target != raw else {
            return try await inner.respond(to: request, context: context)
        }
        var head = request.head
        head.path = target
        return try await inner.respond(to: Request(head: head, body: request.body), context: context)
    }

    /// The origin-form target for `raw`, or nil when nothing changes.
    static func normalized(_ raw: String, uriPath: String, query: String?) -> String? {
        var path = uriPath   // Hummingbird's URI has already split off scheme and authority
        if path.isEmpty { path = "/" }
        if path.contains("%") { path = decodeUnreserved(path) }
        if path.contains("/.") { path = removeDotSegments(path) }
        let target = query.map { path + "?" + $0 } ?? path
        return target == raw ? nil : target
    }

    /// Decodes `%XX` of ALPHA / DIGIT / "-" / "." / "_" / "~"; upper-cases other escapes' hex.
    static func decodeUnreserved(_ s: String) -> String {
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            guard b == UInt8(ascii: "%"), it.count >= 2,
                  let hi = Query.hexValue(it[it.startIndex]), let lo = Query.hexValue(it[it.startIndex + 1]) else {
                out.append(b); continue
            }
            let c = hi << 4 | lo
            let unreserved = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~")
            if unreserved {
                out.append(c)
            } else {
                out.append(b); out += Array(String(it.prefix(2).map { Character(UnicodeScalar($0)) }).uppercased().utf8)
            }
            it.removeFirst(2)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 5.2.4 remove_dot_segments, for an absolute path.
    static func removeDotSegments(_ path: String) -> String {
        var out: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (i, seg) in segments.enumerated() {
            let last = i == segments.count - 1
            switch seg {
            case ".": if last { out.append("") }
            case "..": if !out.isEmpty { out.removeLast() }; if last { out.append("") }
            default: out.append(seg)
            }
        }
        return "/" + out.joined(separator: "/")
    }
}
