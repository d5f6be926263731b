#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - ByteStorage

/// The bytes of a safetensors file: a read-only memory map (the weights are
/// never copied into an Array) or an owned array for in-memory files.
final class ByteStorage: @unchecked Sendable {
    private enum Backing {
        case mapped(UnsafeMutableRawPointer, Int)
        case owned([UInt8])
    }

    private let backing: Backing

    init(bytes: [UInt8]) {
        backing = .owned(bytes)
    }

    /// Maps `path` read-only. `size` must be > 0 (mmap refuses empty regions).
    private init(mapping pointer: UnsafeMutableRawPointer, size: Int) {
        backing = .mapped(pointer, size)
    }

    deinit {
        if case let .mapped(pointer, size) = backing {
            munmap(pointer, size)
        }
    }

    var count: Int {
        switch backing {
        case let .mapped(_, size): return size
        case let .owned(bytes): return bytes.count
        }
    }

    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        switch backing {
        case let .mapped(pointer, size):
            return try body(UnsafeRawBufferPointer(start: pointer, count: size))
        case let .owned(bytes):
            // withUnsafeBytes rethrows untyped; carry the typed error out by hand.
            let result: Result<R, E> = bytes.withUnsafeBytes { raw in
                do throws(E) { return .success(try body(raw)) } catch { return .failure(error) }
            }
            return try result.get()
        }
    }

    /// Tells the kernel the mapped pages will not be read again soon (after the
    /// engine folded its own copy of the weights), so they stop counting in the
    /// resident set; a later read faults them back in from the file.
    func releaseResidentPages() {
        if case let .mapped(pointer, size) = backing {
            _ = madvise(pointer, size, Int32(MADV_DONTNEED))
        }
    }

    // MARK: - Opening a file

    /// Opens and maps a regular file. An empty file gives empty owned storage
    /// (mmap cannot map zero bytes; the parser then reports it as truncated).
    static func map(path: String) throws(WeightsError) -> ByteStorage {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(file: path, reason: errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(file: path, reason: errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(file: path, reason: "not a regular file")
        }
        guard let size = Int(exactly: info.st_size), size >= 0 else {
            throw .cannotOpen(file: path, reason: "file size \(info.st_size) is not representable")
        }
        if size == 0 { return ByteStorage(bytes: []) }
        let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let pointer, pointer != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .cannotOpen(file: path, reason: "mmap failed: \(errnoText())")
        }
        return ByteStorage(mapping: pointer, size: size)
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
