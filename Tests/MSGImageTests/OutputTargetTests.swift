import Foundation
import Testing
@testable import MSGImage
#if canImport(Glibc)
import Glibc
#endif

/// The output-path rule (OutputTarget) for every kind of existing target, and
/// AtomicFile's promise: nothing half-written, no temporary file left, on
/// success, refusal and (injected) failure alike, with and without O_TMPFILE.
@Suite struct OutputTargetTests {
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("msg-out-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func at(_ name: String) -> String { path + "/" + name }
        var listing: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
        func contents(_ name: String) -> [UInt8]? { (try? Data(contentsOf: URL(fileURLWithPath: at(name)))).map { [UInt8]($0) } }
    }

    static func refusal(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as ImageError {
            guard case .outputRefused = e else { return "unexpected: \(e)" }
            return e.description
        } catch { return "unexpected: \(error)" }
    }

    static let strategies: [Bool] = [true, false]   // O_TMPFILE, named temporary

    @Test(arguments: strategies)
    func missingTargetIsCreated(_ tmpfile: Bool) throws {
        let s = try Scratch()
        try AtomicFile.write([1, 2, 3], to: s.at("new.png"), faults: .init(useTmpFile: tmpfile))
        #expect(s.contents("new.png") == [1, 2, 3])
        #expect(s.listing == ["new.png"])
        var st = stat()
        #expect(stat(s.at("new.png"), &st) == 0 && st.st_mode & 0o777 == 0o644 & ~currentUmask())
    }

    @Test(arguments: strategies)
    func regularFileIsReplacedAtomicallyKeepingItsMode(_ tmpfile: Bool) throws {
        let s = try Scratch()
        let p = s.at("out.png")
        try AtomicFile.write([9, 9], to: p, faults: .init(useTmpFile: tmpfile))
        chmod(p, 0o600)
        var before = stat(), after = stat()
        stat(p, &before)
        try AtomicFile.write([7], to: p, faults: .init(useTmpFile: tmpfile))
        stat(p, &after)
        #expect(s.contents("out.png") == [7])
        #expect(after.st_ino != before.st_ino, "replaced by a new file (rename), not rewritten in place")
        #expect(after.st_mode & 0o777 == 0o600)
        #expect(s.listing == ["out.png"])
    }

    @Test(arguments: strategies)
    func symbolicLinkIsWrittenThrough(_ tmpfile: Bool) throws {
        let s = try Scratch()
        try FileManager.default.createDirectory(atPath: s.at("runs"), withIntermediateDirectories: false)
        try AtomicFile.write([1], to: s.at("runs/a.png"))
        symlink("runs/a.png", s.at("latest.png"))
        try AtomicFile.write([2, 2], to: s.at("latest.png"), faults: .init(useTmpFile: tmpfile))
        #expect(OutputTarget.kind(of: s.at("latest.png")).0 == .symbolicLink, "the link stays a link")
        #expect(s.contents("runs/a.png") == [2, 2])
        #expect(s.listing == ["latest.png", "runs"])
        #expect((try FileManager.default.contentsOfDirectory(atPath: s.at("runs"))) == ["a.png"])
    }

    @Test func danglingLoopingAndSpecialLinksAreRefused() throws {
        let s = try Scratch()
        symlink("nowhere.png", s.at("dangling.png"))
        symlink("loop-b", s.at("loop-a")); symlink("loop-a", s.at("loop-b"))
        try FileManager.default.createDirectory(atPath: s.at("dir"), withIntermediateDirectories: false)
        symlink("dir", s.at("to-dir"))
        mkfifo(s.at("fifo"), 0o644)
        symlink("fifo", s.at("to-fifo"))
        let before = s.listing
        #expect(Self.refusal { try AtomicFile.write([1], to: s.at("dangling.png")) }?.contains("does not exist") == true)
        #expect(Self.refusal { try AtomicFile.write([1], to: s.at("loop-a")) }?.contains("loop") == true)
        #expect(Self.refusal { try AtomicFile.write([1], to: s.at("to-dir")) }?.contains("a directory") == true)
        #expect(Self.refusal { try AtomicFile.write([1], to: s.at("to-fifo")) }?.contains("a FIFO") == true)
        #expect(s.listing == before, "nothing created, nothing replaced")
        #expect(OutputTarget.kind(of: s.at("fifo")).0 == .fifo)
    }

    @Test func directoryIsRefused() throws {
        let s = try Scratch()
        try FileManager.default.createDirectory(atPath: s.at("taken"), withIntermediateDirectories: false)
        let e = Self.refusal { try AtomicFile.write([1], to: s.at("taken")) }
        #expect(e == "will not write \(s.at("taken")): it is a directory; give a file name (inside it, if that is what you meant)")
        #expect(Self.refusal { try AtomicFile.write([1], to: s.at("taken") + "/") }?.contains("ends in '/'") == true)
        #expect(s.listing == ["taken"] && OutputTarget.kind(of: s.at("taken")).0 == .directory)
    }

    @Test func characterDeviceIsRefused() throws {
        let s = try Scratch()
        // A private copy of /dev/null's node (root can mknod); else the system's, never written.
        let node = mknod(s.at("null"), S_IFCHR | 0o666, deviceNumber(1, 3)) == 0 ? s.at("null") : "/dev/null"
        let e = Self.refusal { try AtomicFile.write([1], to: node) }
        #expect(e == "will not write \(node): it is a character device; msg-gen only creates or replaces regular files")
        #expect(OutputTarget.kind(of: node).0 == .characterDevice)
    }

    @Test func blockDeviceIsRefused() throws {
        let s = try Scratch()
        guard mknod(s.at("loop"), S_IFBLK | 0o600, deviceNumber(7, 0)) == 0 else { return }  // needs CAP_MKNOD
        #expect(Self.refusal { try AtomicFile.write([1], to: s.at("loop")) }?.contains("a block device") == true)
        #expect(OutputTarget.kind(of: s.at("loop")).0 == .blockDevice)
    }

    @Test func fifoIsRefusedWithoutBlocking() throws {
        let s = try Scratch()
        #expect(mkfifo(s.at("pipe"), 0o644) == 0)
        // Opening a FIFO for writing with no reader would block: the refusal comes first.
        #expect(Self.refusal { try AtomicFile.write([1], to: s.at("pipe")) }?.contains("a FIFO (named pipe)") == true)
        #expect(OutputTarget.kind(of: s.at("pipe")).0 == .fifo && s.listing == ["pipe"])
    }

    @Test func socketIsRefused() throws {
        let s = try Scratch()
        let path = s.at("sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        try #require(bytes.count < MemoryLayout.size(ofValue: addr.sun_path))
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        #expect(Self.refusal { try AtomicFile.write([1], to: path) }?.contains("a socket") == true)
        #expect(OutputTarget.kind(of: path).0 == .socket)
    }

    @Test(arguments: strategies)
    func failureMidWriteLeavesNoPartialTargetAndNoTemporary(_ tmpfile: Bool) throws {
        let s = try Scratch()
        let data = [UInt8](repeating: 5, count: 1 << 20)
        // A new target: nothing appears.
        #expect(throws: ImageError.self) {
            try AtomicFile.write(data, to: s.at("new.npy"), faults: .init(failAfterBytes: 1000, useTmpFile: tmpfile))
        }
        #expect(s.listing.isEmpty)
        // An existing target: the old bytes stay, whole.
        try AtomicFile.write([1, 2, 3], to: s.at("old.npy"))
        #expect(throws: ImageError.self) {
            try AtomicFile.write(data, to: s.at("old.npy"), faults: .init(failAfterBytes: 4096, useTmpFile: tmpfile))
        }
        #expect(s.contents("old.npy") == [1, 2, 3])
        #expect(s.listing == ["old.npy"])
        #expect(TemporaryFiles.count(under: s.path + "/") == 0)
    }

    // MARK: - Streaming (AtomicFile.stream: pictures written as they are encoded)

    struct Boom: Error {}

    /// A streamed file appears whole with its name only at the end, replacing
    /// the old one with its permission bits; until then neither it nor a
    /// temporary is visible, with and without O_TMPFILE.
    @Test(arguments: strategies)
    func streamAppearsWholeAtTheEnd(_ tmpfile: Bool) throws {
        let s = try Scratch()
        try AtomicFile.write([9], to: s.at("pic.png"))
        chmod(s.at("pic.png"), 0o600)
        let piece = [UInt8](repeating: 7, count: 3 << 19)
        try AtomicFile.stream(to: s.at("pic.png"), faults: .init(useTmpFile: tmpfile)) { stream in
            for _ in 0..<3 {
                try piece.withUnsafeBytes { try stream.write($0) }
                #expect(s.contents("pic.png") == [9], "the old file stays until the stream completes")
                #expect(s.listing == ["pic.png"] || !tmpfile, "O_TMPFILE: nothing named while writing")
            }
            #expect(stream.count == 3 * piece.count)
        }
        #expect(s.contents("pic.png") == piece + piece + piece)
        #expect(s.listing == ["pic.png"])
        // A stream kept past its end cannot write (its descriptor is closed and may be reused).
        var kept: AtomicFile.Stream?
        try AtomicFile.stream(to: s.at("other.png"), faults: .init(useTmpFile: tmpfile)) { kept = $0 }
        let bystander = open(s.at("bystander"), O_RDWR | O_CREAT, 0o644)   // likely takes the freed descriptor
        defer { close(bystander) }
        #expect(throws: ImageError.self) { try piece.withUnsafeBytes { try kept!.write($0) } }
        var bst = stat()
        #expect(fstat(bystander, &bst) == 0 && bst.st_size == 0, "nothing written into another file")
        try FileManager.default.removeItem(atPath: s.at("other.png"))
        try FileManager.default.removeItem(atPath: s.at("bystander"))
        var st = stat()
        #expect(stat(s.at("pic.png"), &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(TemporaryFiles.count(under: s.path + "/") == 0)
    }

    /// The producer's own error comes back unchanged, and a failed write
    /// (injected after some bytes) fails the stream: either way the old file
    /// stays whole and nothing else is left.
    @Test(arguments: strategies)
    func streamFailureLeavesTheOldFile(_ tmpfile: Bool) throws {
        let s = try Scratch()
        try AtomicFile.write([1, 2, 3], to: s.at("old.png"))
        let piece = [UInt8](repeating: 5, count: 1 << 16)
        #expect(throws: Boom.self) {
            try AtomicFile.stream(to: s.at("old.png"), faults: .init(useTmpFile: tmpfile)) { stream in
                try piece.withUnsafeBytes { try stream.write($0) }
                throw Boom()
            }
        }
        #expect(throws: ImageError.self) {
            try AtomicFile.stream(to: s.at("old.png"), faults: .init(failAfterBytes: 100_000, useTmpFile: tmpfile)) { stream in
                for _ in 0..<4 { try piece.withUnsafeBytes { try stream.write($0) } }
            }
        }
        #expect(throws: Boom.self) {
            try AtomicFile.stream(to: s.at("new.png"), faults: .init(useTmpFile: tmpfile)) { _ in throw Boom() }
        }
        #expect(s.contents("old.png") == [1, 2, 3])
        #expect(s.listing == ["old.png"])
        #expect(TemporaryFiles.count(under: s.path + "/") == 0)
    }

    /// A path the rule refuses is refused before the producer runs (no render
    /// is wasted on an output that cannot be written).
    @Test func streamRefusesBeforeProducing() throws {
        let s = try Scratch()
        try FileManager.default.createDirectory(atPath: s.at("dir"), withIntermediateDirectories: false)
        var ran = false
        #expect(Self.refusal { try AtomicFile.stream(to: s.at("dir")) { _ in ran = true } }?.contains("a directory") == true)
        #expect(!ran)
    }

    /// A PNG streamed through a sink has the bytes of the one kept in memory,
    /// and a sink's error fails the encoder with that error.
    @Test func pngThroughASinkEqualsInMemory() throws {
        let side = 700   // about 1.4 MB of noise: more than one sink chunk
        var rng = SystemRandomNumberGenerator()
        let image = RGBImage(width: side, height: side, pixels: (0..<(side * side * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let want = try PNG.encode(image, text: [("Seeds", "1")], settings: .pictures)
        final class Collect: ByteSink {
            var bytes: [UInt8] = [], calls = 0, failAfter = Int.max
            func write(_ b: UnsafeRawBufferPointer) throws(ImageError) {
                calls += 1
                guard calls <= failAfter else { throw .fileWriteFailed(path: "sink", operation: "write", reason: "full") }
                bytes += b
            }
        }
        let sink = Collect()
        #expect(try PNG.encode(image, text: [("Seeds", "1")], settings: .pictures, sink: sink).isEmpty)
        #expect(sink.bytes == want)
        #expect(sink.calls >= 2)
        let failing = Collect()
        failing.failAfter = 1
        #expect(throws: ImageError.fileWriteFailed(path: "sink", operation: "write", reason: "full")) {
            try PNG.encode(image, settings: .pictures, sink: failing)
        }
    }

    @Test func outputDirectoriesFollowTheRule() throws {
        let s = try Scratch()
        try FileManager.default.createDirectory(atPath: s.at("raw"), withIntermediateDirectories: false)
        symlink("raw", s.at("raw-link"))
        try AtomicFile.write([1], to: s.at("file"))
        mkfifo(s.at("pipe"), 0o644)
        #expect(try OutputTarget.checkDirectory(s.at("raw")))
        #expect(try OutputTarget.checkDirectory(s.at("raw-link")))
        #expect(try !OutputTarget.checkDirectory(s.at("new")))
        #expect(Self.refusal { _ = try OutputTarget.checkDirectory(s.at("file")) }?.contains("a regular file, not a directory") == true)
        #expect(Self.refusal { _ = try OutputTarget.checkDirectory(s.at("pipe")) }?.contains("a FIFO") == true)
    }
}

/// The process umask, read without changing it (/proc/self/status "Umask:").
private func currentUmask() -> mode_t {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
          let m = mode_t(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) else { return 0o022 }
    return m
}

/// Linux's dev_t for small major/minor numbers (glibc's makedev is a macro Swift does not import).
func deviceNumber(_ major: UInt64, _ minor: UInt64) -> dev_t { dev_t((major << 8) | minor) }
