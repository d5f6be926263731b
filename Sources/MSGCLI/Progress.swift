import Foundation

/// A progress line on stderr, shown only for renders that take longer than a
/// second, and only when stderr is a terminal.
final class Progress {
    private let total: Int
    private let enabled: Bool
    private let start = Date()
    private var shown = false

    init(total: Int, quiet: Bool) {
        self.total = total
        self.enabled = !quiet && isatty(2) != 0
    }

    func update(done: Int) {
        guard enabled else { return }
        let t = Date().timeIntervalSince(start)
        guard t > 1 || shown else { return }
        shown = true
        FileHandle.standardError.write(Data(String(format: "\rrendering: %d/%d images, %.1f s", done, total, t).utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
