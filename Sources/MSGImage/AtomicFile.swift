#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see the old content or the whole new
/// content, never a partial file: a unique temporary name in the same
/// directory, fsync, then rename over the target.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws(ImageError) {
        let (directory, name) = split(path)
        guard !name.isEmpty else { throw .fileWriteFailed(path: path, operation: "open", reason: "the path names a directory") }
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let prefix = directory.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? ""
        let temporary = prefix + ".\(name).tmp-\(getpid())-\(suffix)"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "create temporary file in \(directory ?? ".")") }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(temporary) }
        }

        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                systemWrite(fd, raw.baseAddress! + written, raw.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "write")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw failure(path, "fsync") }
        closed = true
        guard close(fd) == 0 else { throw failure(path, "close") }
        guard rename(temporary, path) == 0 else { throw failure(path, "rename") }
        renamed = true

        // Make the rename itself durable; a failure here cannot undo the write.
        let dirfd = open(directory ?? ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
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
