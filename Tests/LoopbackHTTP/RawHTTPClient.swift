import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Test support shared by MSGServerTests and MSGCLITests (target LoopbackHTTP).
///
/// A plain TCP client on loopback for what HTTP clients hide: exact request
/// bytes, slow senders, half-read responses, the moment the server closes.
/// Blocking calls run on a thread of their own (never on Swift's cooperative
/// pool, which the server's handlers need); every read has a deadline.
public final class RawHTTPClient: @unchecked Sendable {
    private var fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawError("socket: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { Glibc.close(fd); throw RawError("connect: errno \(errno)") }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RawError("send: errno \(errno)") }
            sent += n
        }
    }

    /// Closes the socket (the client goes away).
    public func close() { if fd >= 0 { Glibc.close(fd); fd = -1 } }

    /// Reads until the server closes the connection or `deadline` passes.
    /// `closed` is true only if the server closed it (EOF or reset).
    public func readUntilClosed(deadline: Duration) async -> (bytes: [UInt8], closed: Bool) {
        await Self.onThread { [self] in readUntilClosedBlocking(deadline: deadline) }
    }

    /// Reads until `marker` has arrived (or EOF/deadline); returns what was read.
    public func read(until marker: String, deadline: Duration) async -> [UInt8] {
        await Self.onThread { [self] in
            var got: [UInt8] = []
            let end = ContinuousClock.now + deadline
            while ContinuousClock.now < end {
                guard let chunk = recvOnce(timeoutMs: 100) else { break }
                got += chunk
                if String(decoding: got, as: UTF8.self).contains(marker) { break }
            }
            return got
        }
    }

    private func readUntilClosedBlocking(deadline: Duration) -> ([UInt8], Bool) {
        var got: [UInt8] = []
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            guard let chunk = recvOnce(timeoutMs: 100) else { return (got, true) }
            got += chunk
        }
        return (got, false)
    }

    /// One poll + recv: nil at EOF or error, [] when nothing arrived in time.
    private func recvOnce(timeoutMs: Int32) -> [UInt8]? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&p, 1, timeoutMs)
        if r == 0 { return [] }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buf[0..<n]) : nil
    }

    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in
            let t = Thread { c.resume(returning: body()) }
            t.start()
        }
    }
}

public struct RawError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Polls `condition` until it holds or `deadline` passes (generous deadlines:
/// these wait for an event, they never time one).
public func eventually(_ deadline: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = ContinuousClock.now + deadline
    while ContinuousClock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

extension Array where Element == UInt8 {
    public var text: String { String(decoding: self, as: UTF8.self) }
}
