import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The server's metrics, recorded through swift-metrics into an injected
/// Prometheus registry (never the global MetricsSystem, which a process can
/// bootstrap only once: each test makes its own registry).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var f = PrometheusMetricsFactory(registry: registry)
        f.durationHistogramBuckets = [
            "msg_gen_request_duration_seconds": [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
            ],
        ]
        f.valueHistogramBuckets = ["msg_gen_batch_size": [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]]
        factory = f
    }

    /// One answered request: counter by route, method and status; latency histogram by route.
    public func request(route: String, method: String, status: Int, nanoseconds: UInt64) {
        Counter(label: "msg_gen_requests_total",
                dimensions: [("route", route), ("method", method), ("status", "\(status)")], factory: factory).increment()
        Metrics.Timer(label: "msg_gen_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// Images in one forward pass.
    public func batch(model: String, size: Int) {
        Recorder(label: "msg_gen_batch_size", dimensions: [("model", model)], aggregate: true, factory: factory).record(size)
        Counter(label: "msg_gen_images_rendered_total", dimensions: [("model", model)], factory: factory).increment(by: size)
    }

    /// Jobs waiting for a worker.
    public func queueDepth(model: String, _ depth: Int) {
        Gauge(label: "msg_gen_queue_depth", dimensions: [("model", model)], factory: factory).record(depth)
    }

    /// Images a request did not have to render because the same image (same
    /// job, same options) was already queued or rendering (`kind`: image =
    /// per-image jobs joined in the pool, request = whole identical requests
    /// that shared one render).
    public func coalesced(model: String, images: Int, kind: String = "image") {
        Counter(label: "msg_gen_coalesced_total", dimensions: [("model", model), ("kind", kind)], factory: factory).increment(by: images)
    }

    /// A request whose client went away (or whose deadline passed) before its picture was done.
    public func abandoned(reason: String) {
        Counter(label: "msg_gen_abandoned_requests_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// Open HTTP connections, and the cap.
    public func connections(open: Int) {
        Gauge(label: "msg_gen_open_connections", dimensions: [], factory: factory).record(open)
    }

    /// A request turned away with 503 because the queue was full.
    public func rejected(model: String) {
        Counter(label: "msg_gen_queue_rejections_total", dimensions: [("model", model)], factory: factory).increment()
    }

    /// PNG cache lookups: hit (200 from memory), miss (rendered) or not_modified (304).
    public func cache(_ outcome: String) {
        Counter(label: "msg_gen_cache_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// Bytes held by the PNG cache.
    public func cacheBytes(_ bytes: Int) {
        Gauge(label: "msg_gen_cache_bytes", dimensions: [], factory: factory).record(bytes)
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
