import Foundation

/// A progress line on stderr, shown only for renders that take longer than a
/// second, and only when stderr is a terminal.
final class Progress {
    private let total: Int
    private let enabled: Bool
    private let delay: TimeInterval
    private let output: FileHandle
    private let start = Date()
    private var shown = false

    /// Seconds before the line appears: 1, or `MSG_GEN_PROGRESS_DELAY` (tests set 0
    /// to see the line without a slow render).
    static var defaultDelay: TimeInterval {
        ProcessInfo.processInfo.environment["MSG_GEN_PROGRESS_DELAY"].flatMap(TimeInterval.init) ?? 1
    }

    /// `fd`: where the line goes (stderr); shown only if it is a terminal and not `quiet`.
    init(total: Int, quiet: Bool, fd: Int32 = 2, delay: TimeInterval = Progress.defaultDelay) {
        self.total = total
        self.enabled = !quiet && isatty(fd) != 0
        self.delay = delay
        self.output = fd == 2 ? FileHandle.standardError : FileHandle(fileDescriptor: fd, closeOnDealloc: false)
    }

    func update(done: Int) {
        guard enabled else { return }
        let t = Date().timeIntervalSince(start)
        guard t >= delay || shown else { return }
        shown = true
        output.write(Data(String(format: "\rrendering: %d/%d images, %.1f s", done, total, t).utf8))
    }

    func finish() {
        if shown { output.write(Data("\n".utf8)) }
    }
}
