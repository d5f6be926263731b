#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - WeightsFile

/// An open weights file, read with `pread` into buffers the caller owns.
///
/// Why not mmap: a mapped file that is truncated while it is read (`cp new
/// old` truncates `old` in place) kills the process with SIGBUS on the next
/// touched page. `pread` instead returns short, and every read re-checks the
/// file against the identity taken when it was opened (device, inode, size,
/// modification and status-change times, nanoseconds), so a file that is
/// truncated, grown or rewritten in place while loading gives
/// `WeightsError.fileChanged` instead of a signal or a mixed load. (Linux
/// stamps files with a coarse clock, a few ms: a same-size rewrite within the
/// tick of the previous one is the one change this cannot see.)
///
/// Opening never blocks: `O_NONBLOCK` keeps a FIFO (or a device) given as a
/// weights file from waiting for a writer, and anything but a regular file is
/// refused by name before a byte is read.
final class WeightsFile: @unchecked Sendable {
    let path: String
    let size: Int
    private let fd: Int32
    private let identity: Identity

    /// What must not change while the file is read.
    struct Identity: Equatable {
        var device: UInt64, inode: UInt64, size: Int64
        var modified: timespec, changed: timespec

        init(_ s: stat) {
            device = UInt64(s.st_dev); inode = UInt64(s.st_ino); size = Int64(s.st_size)
            modified = s.st_mtim; changed = s.st_ctim
        }

        static func == (a: Identity, b: Identity) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
                && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
        }
    }

    /// Opens `path` read-only without blocking and checks it is a regular file.
    /// - Throws: `.cannotOpen` naming the reason (missing, permissions, a FIFO,
    ///   a directory, a device, a socket).
    init(path: String) throws(WeightsError) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(file: path, reason: Self.errnoText()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = Self.errnoText()
            close(fd)
            throw .cannotOpen(file: path, reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .cannotOpen(file: path, reason: "not a regular file (\(Self.kind(info.st_mode))); give the path of a weights file")
        }
        guard let size = Int(exactly: info.st_size), size >= 0 else {
            close(fd)
            throw .cannotOpen(file: path, reason: "file size \(info.st_size) is not representable")
        }
        self.path = path
        self.fd = fd
        self.size = size
        self.identity = Identity(info)
    }

    deinit { close(fd) }

    /// Fills `buffer` with the bytes at `offset ..< offset + buffer.count`.
    /// - Throws: `.fileChanged` when the file no longer holds them or changed
    ///   since it was opened; `.cannotOpen` on an I/O error.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(WeightsError) {
        guard offset >= 0, offset <= size, buffer.count <= size - offset else {
            throw .fileChanged(file: path, reason: "bytes \(offset)..<\(offset + buffer.count) asked of a \(size)-byte file")
        }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, min(buffer.count - done, 1 << 30), off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotOpen(file: path, reason: "read failed: \(Self.errnoText())")
            }
            if n == 0 {
                throw .fileChanged(file: path, reason: "it ended at byte \(offset + done), it had \(size) bytes when opened (truncated while loading)")
            }
            done += n
        }
        try checkUnchanged()
    }

    /// The bytes at `range`, read into a new array.
    func bytes(_ range: Range<Int>) throws(WeightsError) -> [UInt8] {
        var error: WeightsError?
        let out = [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            do throws(WeightsError) {
                try read(into: UnsafeMutableRawBufferPointer(buffer), at: range.lowerBound)
                initialized = range.count
            } catch let e { error = e; initialized = 0 }
        }
        if let error { throw error }
        return out
    }

    /// Throws `.fileChanged` when the file is not the one opened any more.
    func checkUnchanged() throws(WeightsError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(file: path, reason: Self.errnoText()) }
        let now = Identity(info)
        guard now != identity else { return }
        if now.size != identity.size {
            throw .fileChanged(file: path, reason: "its size went from \(identity.size) to \(now.size) bytes while loading (replaced or truncated in place)")
        }
        throw .fileChanged(file: path, reason: "it was modified while loading (same size, new modification time)")
    }

    // MARK: - Helpers

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "file type \(String(mode & S_IFMT, radix: 8))"
        }
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
