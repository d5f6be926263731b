#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one writer of every file msg-gen produces (PNG, .npy, `convert`'s
/// safetensors): readers see the old content or the whole new content, never
/// a partial file, and no temporary file outlives the write.
///
/// The target follows `OutputTarget`'s rule (regular files replaced, links
/// written through, devices / FIFOs / sockets / directories refused). Bytes go
/// to a file that has no name while it is written: Linux's `O_TMPFILE` in the
/// target's directory, fsynced, then given its name with `linkat` (a new
/// target) or linked to a temporary name and renamed over the old file. A
/// process killed (even by SIGKILL) while writing leaves nothing; only the two
/// system calls between `linkat` and `rename` of a replacement could leave a
/// hidden `.NAME.tmp-PID-...`. Where the file system has no `O_TMPFILE` (or
/// /proc is missing) a named temporary file is used instead; it is removed on
/// every error and, when msg-gen did not install its own handlers, on
/// SIGINT / SIGTERM / SIGHUP (`TemporaryFiles`); only SIGKILL can leave it.
public enum AtomicFile {
    /// Test hooks (in-process): fail after this many bytes, or skip `O_TMPFILE`.
    struct Faults {
        var failAfterBytes: Int? = nil
        var useTmpFile = true
        static let none = Faults()
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(ImageError) {
        try write(bytes, to: path, faults: .fromEnvironment)
    }

    static func write(_ bytes: [UInt8], to path: String, faults: Faults) throws(ImageError) {
        let target = try OutputTarget.resolve(path)
        let (directory, name) = split(target.path)
        let dirPath = directory ?? "."
        if faults.useTmpFile, let fd = openUnnamed(in: dirPath, mode: target.mode) {
            var linked = false
            defer { if !linked { close(fd) } }
            try fill(fd, bytes, path: path, keepMode: target.exists ? target.mode : nil, faults: faults)
            if try publishUnnamed(fd, target: target, directory: directory, name: name, reportAs: path) {
                linked = true
                close(fd)
                syncDirectory(dirPath)
                return
            }
            // linkat could not name it (no /proc): write again through a named file.
        }
        try writeNamed(target: target, directory: directory, name: name, reportAs: path) { (fd) throws(ImageError) in
            try fill(fd, bytes, path: path, keepMode: target.exists ? target.mode : nil, faults: faults)
        }
        syncDirectory(dirPath)
    }

    // MARK: - Streaming

    /// An output being written by `AtomicFile.stream`: bytes appended in order
    /// go straight to the file that has no name yet. Not thread-safe.
    public final class Stream: ByteSink {
        private let fd: Int32
        private let path: String
        private let faults: Faults
        private var paused = false
        /// Set when `stream` returns: the descriptor is closed (and may be reused).
        fileprivate var ended = false
        /// Bytes written so far.
        public private(set) var count = 0

        fileprivate init(fd: Int32, path: String, faults: Faults) { self.fd = fd; self.path = path; self.faults = faults }

        /// Appends `bytes`; throws `fileWriteFailed` naming the output (disk full, I/O error).
        public func write(_ bytes: UnsafeRawBufferPointer) throws(ImageError) {
            guard !ended else { throw .fileWriteFailed(path: path, operation: "write", reason: "the stream has ended") }
            var done = 0
            while done < bytes.count {
                var end = bytes.count
                if let limit = faults.failAfterBytes {
                    guard count < limit else {
                        errno = EIO
                        throw failure(path, "write (injected failure after \(limit) bytes)")
                    }
                    end = min(end, done + limit - count)
                }
                // MSG_GEN_TEST_WRITE_PAUSE: stop once the first bytes are down (subprocess kill tests).
                let marker = paused ? nil : TestPause.marker
                if marker != nil { end = min(end, done + max(1, (bytes.count - done) / 2)) }
                let n = systemWrite(fd, bytes.baseAddress! + done, end - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, "write")
                }
                done += n
                count += n
                if let marker { paused = true; TestPause.signalAndWait(marker) }
            }
        }

        fileprivate func complete(keepMode: mode_t?) throws(ImageError) {
            if let keepMode { guard fchmod(fd, keepMode) == 0 else { throw failure(path, "chmod") } }
            guard fsync(fd) == 0 else { throw failure(path, "fsync") }
        }
    }

    /// Writes the file at `path` as `produce` streams it (`Stream.write`), with
    /// `write(_:to:)`'s guarantees: the target is checked against
    /// `OutputTarget`'s rule before `produce` runs (a refused path fails before
    /// any work), and the file appears whole, with its name, only after
    /// `produce` returns; if `produce` throws (its own error is rethrown) or
    /// the process dies, nothing is left. Memory: only what `produce` holds,
    /// never the file's bytes. Used for pictures larger than memory should
    /// hold twice (PNG grids, sheets, mixing figures: issue 22).
    public static func stream(to path: String, _ produce: (Stream) throws -> Void) throws {
        try stream(to: path, faults: .fromEnvironment, produce)
    }

    static func stream(to path: String, faults: Faults, _ produce: (Stream) throws -> Void) throws {
        let target = try OutputTarget.resolve(path)
        let (directory, name) = split(target.path)
        let dirPath = directory ?? "."
        let keepMode = target.exists ? target.mode : nil
        if faults.useTmpFile, let fd = openUnnamed(in: dirPath, mode: target.mode, access: O_RDWR) {
            let stream = Stream(fd: fd, path: path, faults: faults)
            defer { stream.ended = true; close(fd) }
            try produce(stream)
            try stream.complete(keepMode: keepMode)
            if try !publishUnnamed(fd, target: target, directory: directory, name: name, reportAs: path) {
                // linkat could not name it (no /proc): copy the finished file to a named one.
                try writeNamed(target: target, directory: directory, name: name, reportAs: path) { (named) throws(ImageError) in
                    try copyContents(of: fd, count: stream.count, to: named, path: path)
                    if let keepMode { guard fchmod(named, keepMode) == 0 else { throw failure(path, "chmod") } }
                    guard fsync(named) == 0 else { throw failure(path, "fsync") }
                }
            }
            syncDirectory(dirPath)
            return
        }
        var produced: (any Error)?   // produce's own error, rethrown as it was
        do {
            try writeNamed(target: target, directory: directory, name: name, reportAs: path) { (fd) throws(ImageError) in
                let stream = Stream(fd: fd, path: path, faults: faults)
                defer { stream.ended = true }
                do { try produce(stream) } catch {
                    produced = error
                    throw .fileWriteFailed(path: path, operation: "produce", reason: "\(error)")
                }
                try stream.complete(keepMode: keepMode)
            }
        } catch {
            throw produced ?? error
        }
        syncDirectory(dirPath)
    }

    /// Copies the first `count` bytes of `source` (read with pread) to `dest`.
    private static func copyContents(of source: Int32, count: Int, to dest: Int32, path: String) throws(ImageError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while offset < count {
            let n = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress!, min($0.count, count - offset), off_t(offset)) }
            if n < 0 { if errno == EINTR { continue }; throw failure(path, "read back") }
            guard n > 0 else { errno = EIO; throw failure(path, "read back") }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { systemWrite(dest, $0.baseAddress! + done, n - done) }
                if w < 0 { if errno == EINTR { continue }; throw failure(path, "write") }
                done += w
            }
            offset += n
        }
    }

    // MARK: - O_TMPFILE

    /// A file holding `bytes` that has no name (in `directory`), open read-write
    /// at the returned descriptor: it disappears when the last descriptor or
    /// mapping of it goes, however the process ends. nil where unsupported.
    /// (`bench` maps its random models from one, as a user's weights file.)
    public static func unnamedCopy(of bytes: [UInt8], in directory: String) -> Int32? {
        guard let fd = openUnnamed(in: directory, mode: 0o600, access: O_RDWR) else { return nil }
        do {
            try fill(fd, bytes, path: directory, keepMode: nil, faults: .none)
            return fd
        } catch {
            close(fd)
            return nil
        }
    }

    /// An unnamed regular file in `directory`, or nil where unsupported.
    private static func openUnnamed(in directory: String, mode: mode_t, access: Int32 = O_WRONLY) -> Int32? {
        #if os(Linux)
        // <fcntl.h>'s O_TMPFILE (__O_TMPFILE | O_DIRECTORY); Swift does not import the macro.
        let oTmpFile: Int32 = 0o20000000 | O_DIRECTORY
        let fd = open(directory, oTmpFile | access | O_CLOEXEC, mode)
        return fd >= 0 ? fd : nil
        #else
        return nil
        #endif
    }

    /// Gives the written unnamed file its name. False: linkat is unavailable
    /// here (the caller falls back); throws for real failures.
    private static func publishUnnamed(_ fd: Int32, target: OutputTarget, directory: String?, name: String,
                                       reportAs path: String) throws(ImageError) -> Bool {
        let procPath = "/proc/self/fd/\(fd)"
        if !target.exists {
            if linkat(AT_FDCWD, procPath, AT_FDCWD, target.path, AT_SYMLINK_FOLLOW) == 0 { return true }
            if errno == ENOENT || errno == EPERM || errno == EOPNOTSUPP { return false }
            guard errno == EEXIST else { throw failure(path, "link") }
            // Something appeared meanwhile: apply the rule to it again, then replace.
            let again = try OutputTarget.resolve(path)
            guard again.path == target.path else { throw .outputRefused(path: path, reason: "it changed while being written") }
        }
        let temporary = temporaryName(directory: directory, name: name)
        guard linkat(AT_FDCWD, procPath, AT_FDCWD, temporary, AT_SYMLINK_FOLLOW) == 0 else {
            if errno == ENOENT || errno == EPERM || errno == EOPNOTSUPP { return false }
            throw failure(path, "link")
        }
        try replace(temporary: temporary, target: target.path, reportAs: path)
        return true
    }

    // MARK: - Named temporary file (fallback)

    /// A named temporary beside the target, filled by `fill`, closed and renamed
    /// over the target; removed on every failure (and by `TemporaryFiles` on signals).
    private static func writeNamed(target: OutputTarget, directory: String?, name: String, reportAs path: String,
                                   fill: (Int32) throws(ImageError) -> Void) throws(ImageError) {
        let temporary = temporaryName(directory: directory, name: name)
        let token = TemporaryFiles.register(temporary)
        defer { TemporaryFiles.unregister(token) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, target.mode)
        guard fd >= 0 else { throw failure(path, "create temporary file in \(directory ?? ".")") }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }
        try fill(fd)
        closed = true
        guard close(fd) == 0 else { throw failure(path, "close") }
        try replace(temporary: temporary, target: target.path, reportAs: path)
        renamed = true
    }

    // MARK: - Shared steps

    /// Writes all of `bytes`, gives a replacement the old file's permission bits
    /// (a new file gets 0o644 less the umask) and fsyncs. `faults` may stop it part-way (tests) or pause it
    /// (MSG_GEN_TEST_WRITE_PAUSE, for the subprocess kill test).
    private static func fill(_ fd: Int32, _ bytes: [UInt8], path: String, keepMode: mode_t?, faults: Faults) throws(ImageError) {
        let marker = TestPause.marker
        let half = bytes.count / 2
        if let marker, half == 0 { TestPause.signalAndWait(marker) }
        var written = 0
        while written < bytes.count {
            var end = marker != nil && written < half ? half : bytes.count
            if let limit = faults.failAfterBytes {
                guard written < limit else {
                    errno = EIO
                    throw failure(path, "write (injected failure after \(limit) bytes)")
                }
                end = min(end, limit)
            }
            let n = bytes.withUnsafeBytes { raw in systemWrite(fd, raw.baseAddress! + written, end - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "write")
            }
            written += n
            if let marker, written == half { TestPause.signalAndWait(marker) }
        }
        if let keepMode { guard fchmod(fd, keepMode) == 0 else { throw failure(path, "chmod") } }
        guard fsync(fd) == 0 else { throw failure(path, "fsync") }
    }

    /// `rename(temporary, target)` after checking the target is still what the
    /// rule allows (a regular file or nothing); the temporary is removed on failure.
    private static func replace(temporary: String, target: String, reportAs path: String) throws(ImageError) {
        let (kind, _) = OutputTarget.kind(of: target)
        guard kind == .missing || kind == .regularFile else {
            unlink(temporary)
            throw .outputRefused(path: path, reason: "it became \(kind.rawValue) while being written")
        }
        guard rename(temporary, target) == 0 else {
            let e = errno
            unlink(temporary)
            errno = e
            throw failure(path, "rename")
        }
    }

    private static func temporaryName(directory: String?, name: String) -> String {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let prefix = directory.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? ""
        return prefix + ".\(name).tmp-\(getpid())-\(suffix)"
    }

    /// Makes the new name itself durable; a failure here cannot undo the write.
    private static func syncDirectory(_ directory: String) {
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }

    /// ("dir", "name") for "dir/name"; (nil, "name") for a bare name.
    static func split(_ path: String) -> (directory: String?, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (nil, path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// POSIX write(2); the bare name would mean `AtomicFile.write` here.
    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }

    private static func failure(_ path: String, _ operation: String) -> ImageError {
        .fileWriteFailed(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}

extension AtomicFile.Faults {
    /// `MSG_GEN_TEST_NO_TMPFILE=1` forces the named-temporary path (subprocess tests).
    static var fromEnvironment: Self {
        var f = Self()
        if let v = getenv("MSG_GEN_TEST_NO_TMPFILE"), String(cString: v) == "1" { f.useTmpFile = false }
        return f
    }
}

/// `MSG_GEN_TEST_WRITE_PAUSE=FILE`: halfway through a write, create FILE and
/// stop until killed, so a test can signal a process mid-write without timing.
enum TestPause {
    static var marker: String? {
        guard let v = getenv("MSG_GEN_TEST_WRITE_PAUSE"), v.pointee != 0 else { return nil }
        return String(cString: v)
    }

    static func signalAndWait(_ marker: String) -> Never {
        let fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd >= 0 { close(fd) }
        while true { pause() }
    }
}
