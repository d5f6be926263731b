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
/// The switch is process-wide and has to happen before any task is enqueued
/// on the global executor (swift-nio
/// `NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`,
/// apple/swift-nio#2564). `msg-gen`'s entry point calls `installForServe`
/// first thing when the command is `serve`: its async `main` runs on the main
/// executor, so nothing has reached the global one yet. NIO cannot tell
/// whether tasks already ran there, so the server checks what it got
/// (`verifiedExecutor`: a task asks whether it runs on an event loop) and
/// logs that, not the request. `MSG_GEN_EXECUTOR=pool` keeps Swift's own
/// cooperative pool (the escape hatch if a library ever blocks an event
/// loop); any other value is an error at start.
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
            guard case .badValue(let v) = self else { return "" }
            return "MSG_GEN_EXECUTOR=\(v): expected event-loops or pool"
        }
    }

    /// Whether installation was tried (NIO allows one call per process) and
    /// what the server verified at start.
    private static let state = NIOLockedValueBox<(tried: Bool, verified: Executor?)>((false, nil))

    /// Installs the event loops as the global executor unless `environment`
    /// asks for the pool (a second call changes nothing). Returns whether NIO
    /// accepted the hook. Throws `ExecutorError.badValue` for a value other
    /// than the two names.
    @discardableResult
    public static func installForServe(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Bool {
        if let v = environment["MSG_GEN_EXECUTOR"] {
            guard let wanted = Executor(rawValue: v) else { throw ExecutorError.badValue(v) }
            if wanted == .pool { return false }
        }
        return state.withLockedValue { s in
            guard !s.tried else { return false }
            s.tried = true
            return NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
    }

    /// Where a new unstructured task actually runs: `.eventLoops` if on one of
    /// NIO's event loops, else `.pool`. Recorded for `executor`.
    @discardableResult
    public static func verifiedExecutor() async -> Executor {
        let onLoop = await Task.detached { MultiThreadedEventLoopGroup.currentEventLoop != nil }.value
        let e: Executor = onLoop ? .eventLoops : .pool
        state.withLockedValue { $0.verified = e }
        return e
    }

    /// The executor `verifiedExecutor` found (`.pool` before it ran; logged at
    /// start as `executor=`).
    public static var executor: Executor { state.withLockedValue { $0.verified ?? .pool } }
}
