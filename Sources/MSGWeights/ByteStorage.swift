// MARK: - ByteStorage

/// The bytes of a weights file: an open file read on demand with `pread`
/// (`WeightsFile`: nothing of it stays resident, and a file changed while it
/// is read is an error, never a signal), or an owned array for in-memory files
/// (imported checkpoints, tests, fuzzing).
final class ByteStorage: @unchecked Sendable {
    private enum Backing {
        case file(WeightsFile)
        case owned([UInt8])
        /// The first bytes of a file not written yet (`count` in all): its
        /// header, validated before the tensors are written.
        case headerOnly([UInt8], count: Int)
    }

    private let backing: Backing

    init(bytes: [UInt8]) {
        backing = .owned(bytes)
    }

    init(header: [UInt8], count: Int) {
        backing = .headerOnly(header, count: count)
    }

    init(file: WeightsFile) {
        backing = .file(file)
    }

    /// Opens a regular file without blocking (see `WeightsFile`).
    static func open(path: String) throws(WeightsError) -> ByteStorage {
        ByteStorage(file: try WeightsFile(path: path))
    }

    var count: Int {
        switch backing {
        case let .file(f): return f.size
        case let .owned(bytes): return bytes.count
        case let .headerOnly(_, count): return count
        }
    }

    /// Copies the bytes at `range` (which the caller checked against `count`) into `out`.
    func read(_ range: Range<Int>, into out: UnsafeMutableRawBufferPointer) throws(WeightsError) {
        precondition(out.count == range.count)
        switch backing {
        case let .file(f):
            try f.read(into: out, at: range.lowerBound)
        case let .owned(bytes), let .headerOnly(bytes, _):
            guard range.upperBound <= bytes.count else {
                throw .invalidCheckpoint(file: "(converted file)", key: nil, reason: "tensor bytes read before they were written")
            }
            bytes.withUnsafeBytes { raw in out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[range])) }
        }
    }

    /// Calls `body` with the bytes at `range`: in place for owned bytes, read
    /// into a temporary buffer for a file.
    func withBytes<R, E: Error>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws -> R {
        switch backing {
        case let .file(f):
            let bytes = try f.bytes(range)
            return try bytes.withUnsafeBytes { try body($0) }
        case let .owned(bytes), let .headerOnly(bytes, _):
            guard range.upperBound <= bytes.count else {
                throw WeightsError.invalidCheckpoint(file: "(converted file)", key: nil, reason: "tensor bytes read before they were written")
            }
            return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
    }

    /// The first `n` bytes (fewer when the file is shorter).
    func prefix(_ n: Int) throws(WeightsError) -> [UInt8] {
        let range = 0..<min(n, count)
        switch backing {
        case let .file(f): return try f.bytes(range)
        case let .owned(bytes), let .headerOnly(bytes, _): return Array(bytes[min(range.lowerBound, bytes.count)..<min(range.upperBound, bytes.count)])
        }
    }

    /// Every byte, owned: what the parsers of upstream containers (zip central
    /// directory at the end, pickles) walk. For a file this is the one
    /// transient copy an import costs; the file is checked unchanged after.
    func allBytes() throws(WeightsError) -> [UInt8] {
        switch backing {
        case let .file(f): return try f.bytes(0..<f.size)
        case let .owned(bytes): return bytes
        case let .headerOnly(bytes, count): return bytes + [UInt8](repeating: 0, count: count - bytes.count)
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` with the weights error type carried through
    /// (the standard one rethrows untyped).
    func withWeightsBytes<R>(_ body: (UnsafeRawBufferPointer) throws(WeightsError) -> R) throws(WeightsError) -> R {
        let result: Result<R, WeightsError> = withUnsafeBytes { raw in
            do throws(WeightsError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
