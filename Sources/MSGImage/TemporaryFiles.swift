#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - TemporaryFiles

/// Named temporary files that exist right now (AtomicFile's fallback path),
/// removed if SIGINT, SIGTERM or SIGHUP ends the process mid-write.
///
/// The handler is installed for a signal only while its disposition is the
/// default one (a program with its own handler, such as `serve`, keeps it and
/// AtomicFile's `defer` cleans up when that handler lets the write fail). It
/// only calls `unlink` (async-signal-safe) on paths copied into a fixed table
/// of C strings when they were registered, then restores the default action
/// and re-raises, so the process still dies of the signal.
enum TemporaryFiles {
    static let capacity = 64
    /// Slots of `strdup`ed paths; a nil slot is free. Read by the handler.
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let p = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        p.initialize(repeating: nil, count: capacity)
        return p
    }()
    nonisolated(unsafe) private static var lock = pthread_mutex_t()
    nonisolated(unsafe) private static var installed = false
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private static let setUp: Void = {
        pthread_mutex_init(&lock, nil)
        _ = slots
    }()

    /// Records `path`; returns the slot to pass to `unregister` (-1 when the
    /// table is full: the file is then still removed on every error path).
    static func register(_ path: String) -> Int {
        _ = setUp
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if !installed {
            installed = true
            for s in signals { installIfDefault(s) }
        }
        for i in 0..<capacity where slots[i] == nil {
            slots[i] = strdup(path)
            return i
        }
        return -1
    }

    static func unregister(_ slot: Int) {
        guard slot >= 0 else { return }
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        let p = slots[slot]
        slots[slot] = nil
        free(p)
    }

    /// How many registered paths start with `prefix` (tests: a test asks
    /// about its own scratch directory, since tests writing elsewhere in
    /// parallel register their own temporaries).
    static func count(under prefix: String) -> Int {
        _ = setUp
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return (0..<capacity).filter { i in slots[i].map { String(cString: $0).hasPrefix(prefix) } ?? false }.count
    }

    private static func installIfDefault(_ signal: Int32) {
        var old = sigaction()
        guard sigaction(signal, nil, &old) == 0 else { return }
        #if canImport(Glibc)
        let isDefault = old.__sigaction_handler.sa_handler == nil   // SIG_DFL is 0
        #else
        let isDefault = old.__sigaction_u.__sa_handler == nil
        #endif
        if isDefault { setHandler(signal, onSignal) }
    }

    /// sigaction(signal) with `handler` (nil: SIG_DFL), no mask, no flags.
    private static func setHandler(_ signal: Int32, _ handler: (@convention(c) (Int32) -> Void)?) {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handler
        #else
        action.__sigaction_u.__sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        _ = sigaction(signal, &action, nil)
    }

    /// Async-signal-safe: unlink, restore the default, re-raise.
    private static let onSignal: @convention(c) (Int32) -> Void = { signal in
        for i in 0..<TemporaryFiles.capacity {
            if let p = TemporaryFiles.slots[i] { unlink(p) }
        }
        TemporaryFiles.setHandler(signal, nil)
        raise(signal)
    }
}
