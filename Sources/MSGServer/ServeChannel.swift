import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// The HTTP/1 child channel of `msg-gen serve`: Hummingbird's `HTTP1Channel`
/// (its idle timeout, decoder limits and request loop) plus what it leaves to
/// the application:
/// - connection handling per protocol version (RFC 9112 9.3): an HTTP/1.0
///   request without `Connection: keep-alive`, or any request with
///   `Connection: close`, has its connection closed after the response; an
///   HTTP/1.0 keep-alive is echoed; the response carries the request's minor
///   version (so an HTTP/1.0 client never gets chunked coding);
/// - a header-read timeout from a request's first byte to its complete head
///   (slowloris), answered 408 and closed;
/// - the client going away (its connection closed, or its input closed while
///   a request is in progress): the connection's task is cancelled, so its
///   unstarted images leave the render queue (RenderPool);
/// - idle-connection eviction when the open-connection count nears its cap.
struct ServeChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let headerTimeout: TimeAmount
    let registry: ConnectionRegistry

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits, registry: ConnectionRegistry) {
        var configuration = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(limits.idleTimeout.wholeNanoseconds))
        configuration.httpDecoder = .init(maxHeaderFieldSize: limits.maxRequestBytes, maxHeaderListSize: limits.maxRequestBytes,
                                          maxHeaderFieldCount: 100)
        base = HTTP1Channel(responder: responder, configuration: configuration)
        headerTimeout = .nanoseconds(limits.headerTimeout.wholeNanoseconds)
        self.registry = registry
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let ops = channel.pipeline.syncOperations
            let entry = registry.register(channel)
            let timer = HeaderTimeoutHandler(timeout: headerTimeout, entry: entry, registry: registry)
            try ops.addHandler(timer, position: .first)
            let codec = try ops.handler(type: HTTP1ToHTTPServerCodec.self)
            try ops.addHandler(HTTPVersionHandler(timer: timer), position: .before(codec))
            return value
        }
    }

    /// Runs Hummingbird's request loop in a child task that is cancelled when
    /// the connection closes (the client went away, or a timeout closed it).
    func handle(value: Value, logger: Logger) async {
        let connection = Task { await base.handle(value: value, logger: logger) }
        value.channel.closeFuture.whenComplete { _ in connection.cancel() }
        await withTaskCancellationHandler {
            await connection.value
        } onCancel: {
            connection.cancel()
        }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var wholeNanoseconds: Int64 {
        let c = components
        let (s, o) = c.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return o ? .max : s.addingReportingOverflow(c.attoseconds / 1_000_000_000).partialValue
    }
}

// MARK: - Connection cap

/// The open connections: counted for the cap and the metric, and each marked
/// busy (a request read and not yet answered) or idle. When the count reaches
/// `evictAbove`, every new connection closes the longest-idle one, so held-open
/// idle or slow connections cannot lock out new clients; Hummingbird's
/// `MaximumAvailableConnections` stops accepting at `cap` (new clients then
/// wait in the listen backlog), which only busy connections can reach.
final class ConnectionRegistry: Sendable {
    final class Entry: @unchecked Sendable {
        let channel: any Channel
        // Guarded by the registry's lock.
        var busy = false
        var lastActive: NIODeadline = .now()
        init(_ channel: any Channel) { self.channel = channel }
    }

    let cap: Int
    let evictAbove: Int
    let metrics: ServerMetrics
    private let state = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    init(cap: Int, metrics: ServerMetrics) {
        self.cap = max(1, cap)
        evictAbove = max(1, self.cap - max(1, self.cap / 10))
        self.metrics = metrics
    }

    var openCount: Int { state.withLockedValue { $0.count } }

    /// Registers a new connection (removed when it closes), evicting the
    /// longest-idle other connection if the count has reached `evictAbove`.
    func register(_ channel: any Channel) -> Entry {
        let entry = Entry(channel)
        let id = ObjectIdentifier(entry)
        let (victim, open): ((any Channel)?, Int) = state.withLockedValue { entries in
            entries[id] = entry
            guard entries.count > evictAbove else { return (nil, entries.count) }
            let oldest = entries.values.filter { !$0.busy && $0 !== entry }.min { $0.lastActive < $1.lastActive }
            if let oldest { oldest.busy = true }   // never picked twice
            return (oldest?.channel, entries.count)
        }
        metrics.connections(open: open)
        victim?.close(promise: nil)
        channel.closeFuture.whenComplete { [self] _ in
            let open = state.withLockedValue { $0.removeValue(forKey: id); return $0.count }
            metrics.connections(open: open)
        }
        return entry
    }

    func mark(_ entry: Entry, busy: Bool) {
        state.withLockedValue { _ in entry.busy = busy; entry.lastActive = .now() }
    }
}

/// Hummingbird's accept gate, counting into the same metric.
struct ConnectionCap: AvailableConnectionsDelegate {
    var inner: MaximumAvailableConnections
    init(_ cap: Int, logger: Logger) { inner = .init(cap, logger: logger) }
    mutating func connectionOpened() { inner.connectionOpened() }
    mutating func connectionClosed() { inner.connectionClosed() }
    func isAcceptingNewConnections() -> Bool { inner.isAcceptingNewConnections() }
}

// MARK: - Handlers

/// First in the pipeline (raw bytes): starts the header clock at the first
/// byte of a request, stops it when the head has been parsed; if it runs out,
/// answers 408 and closes. Also keeps the connection's busy/idle mark.
final class HeaderTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let timeout: TimeAmount
    let entry: ConnectionRegistry.Entry
    let registry: ConnectionRegistry
    private var openRequests = 0
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount, entry: ConnectionRegistry.Entry, registry: ConnectionRegistry) {
        self.timeout = timeout; self.entry = entry; self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel(); timer = nil; self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel(); timer = nil
        context.fireChannelInactive()
    }

    /// Hummingbird allows remote half-closure, so a client that goes away shows
    /// up as input closed, not as a closed channel. With a request in progress
    /// that client is gone (as nginx's 499): the channel is closed, which
    /// cancels the connection's task. Otherwise Hummingbird ends the
    /// connection itself.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent, openRequests > 0 {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if openRequests == 0 && timer == nil {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.expired() }
        }
        context.fireChannelRead(data)
    }

    /// A request head was parsed.
    func headComplete() {
        openRequests += 1
        timer?.cancel(); timer = nil
        registry.mark(entry, busy: true)
    }

    /// A response was written to its end.
    func responseComplete() {
        openRequests = max(0, openRequests - 1)
        if openRequests == 0 { registry.mark(entry, busy: false) }
    }

    private func expired() {
        timer = nil
        guard let context, openRequests == 0, context.channel.isActive else { return }
        let body = ServerError.json("request: the request head did not arrive within the header timeout")
        var buffer = context.channel.allocator.buffer(capacity: 160 + body.count)
        buffer.writeString("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n\r\n")
        buffer.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(NIOAny(IOData.byteBuffer(buffer))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Between NIO's HTTP/1 codec and the HTTPTypes conversion (where the version
/// is still known): connection handling per protocol version, and the head /
/// response-end marks for the header timer.
final class HTTPVersionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let timer: HeaderTimeoutHandler
    /// Requests read and not yet answered, oldest first (pipelining).
    private var open = CircularBuffer<(version: HTTPVersion, keepAlive: Bool)>()
    private var failed = false

    init(timer: HeaderTimeoutHandler) { self.timer = timer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        let keepAlive = head.isKeepAlive
        open.append((head.version, keepAlive))
        timer.headComplete()
        // Hummingbird ends its request loop after a request whose Connection
        // header is exactly "close"; normalise every non-persistent request to it.
        if !keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// A request NIO cannot parse: answered here with the most specific status
    /// and our JSON error (Hummingbird would write a bare 400), then closed.
    /// Mid-response (pipelined requests) the connection is only closed.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        guard !failed else { return }
        failed = true
        let channel = context.channel
        guard open.isEmpty else { return channel.close(promise: nil) }
        let (status, message) = Self.answer(parse)
        let body = ServerError.json(message)
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: [
            "Content-Type": "application/json; charset=utf-8", "Content-Length": "\(body.count)",
            "Cache-Control": "no-store", "Connection": "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    static func answer(_ error: HTTPParserError) -> (HTTPResponseStatus, String) {
        switch error {
        case .headerOverflow: (.requestHeaderFieldsTooLarge, "request: the request head is larger than the server's limit (--max-request-bytes)")
        case .invalidMethod: (.notImplemented, "method: not a method this server knows")
        case .invalidVersion: (.httpVersionNotSupported, "request: only HTTP/1.0 and HTTP/1.1 are served")
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            (.badRequest, "request: malformed request target")
        default: (.badRequest, "request: malformed HTTP request (\(error))")
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            if let request = open.first {
                if request.version.major == 1 && request.version.minor == 0 { head.version = .http1_0 }
                if !request.keepAlive {
                    head.headers.replaceOrAdd(name: "connection", value: "close")
                } else if request.version.minor == 0 {
                    head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
                }
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            if !open.isEmpty { open.removeFirst() }
            timer.responseComplete()
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }
}
