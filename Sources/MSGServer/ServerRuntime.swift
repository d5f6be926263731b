import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Where `msg-gen serve` runs its Swift tasks (request handlers, PNG encoding).
///
/// By default the server makes NIO's event-loop threads (one per core, the
/// threads that read and write the sockets) Swift concurrency's global
/// executor: a request is parsed, handed to its render pool, encoded and
/// written on one event loop, with no hop to and from the cooperative pool's
/// threads. On 2 cores that measured 3-20% more requests per second at 64
/// connections and 7% more at 1 connection (README "Server", faces-stylegan-64,
/// interleaved runs). Forward passes never run on these threads (render
/// workers have their own), so a pass does not stall socket I/O.
///
/// The switch is process-wide and has to happen before the first task runs
/// (swift-nio `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`,
/// apple/swift-nio#2564), so `msg-gen`'s entry point calls `installForServe`
/// first thing when the command is `serve`. `MSG_GEN_EXECUTOR=pool` keeps
/// Swift's own cooperative pool (the escape hatch if a library ever blocks an
/// event loop); any other value is an error at start.
public enum ServerRuntime {
    public enum Executor: String, Sendable {
        /// NIO's event loops run every task (the default for `serve`).
        case eventLoops = "event-loops"
        /// Swift's cooperative thread pool (tests, library use, `MSG_GEN_EXECUTOR=pool`).
        case pool
    }

    public enum ExecutorError: Error, CustomStringConvertible {
        case badValue(String)
        public var description: String {
            "MSG_GEN_EXECUTOR=\(badValue): expected event-loops or pool"
        }
        private var badValue: String { if case .badValue(let v) = self { return v }; return "" }
    }

    private static let current = NIOLockedValueBox(Executor.pool)

    /// The executor in effect (logged at start as `executor=`).
    public static var executor: Executor { current.withLockedValue { $0 } }

    /// Installs the event loops as the global executor unless `environment`
    /// asks for the pool. Returns what is in effect: `.pool` also when tasks
    /// had already run (the switch is then impossible and nothing changes).
    /// Throws `ExecutorError.badValue` for a value other than the two names.
    @discardableResult
    public static func installForServe(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Executor {
        let wanted = try environment["MSG_GEN_EXECUTOR"].map { v in
            guard let e = Executor(rawValue: v) else { throw ExecutorError.badValue(v) }
            return e
        } ?? .eventLoops
        guard wanted == .eventLoops else { return .pool }
        let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        return current.withLockedValue { e in
            if installed { e = .eventLoops }
            return e
        }
    }
}
