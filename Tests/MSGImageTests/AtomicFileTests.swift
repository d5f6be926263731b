import Foundation
import Testing
@testable import MSGImage

struct AtomicFileTests {
    /// A fresh empty directory, removed by the caller.
    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("msgimage-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    @Test("writes, then replaces, leaving only the target")
    func writesAndReplaces() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.png").path
        try AtomicFile.write([1, 2, 3], to: path)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == [1, 2, 3])
        try AtomicFile.write([UInt8](repeating: 9, count: 100_000), to: path)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == [UInt8](repeating: 9, count: 100_000))
        try AtomicFile.write([], to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.png"])
    }

    @Test("a relative bare name writes in the current directory")
    func bareName() throws {
        #expect(AtomicFile.split("out.png") == (nil, "out.png"))
        #expect(AtomicFile.split("/out.png") == ("/", "out.png"))
        #expect(AtomicFile.split("a/b/out.png") == ("a/b", "out.png"))
    }

    @Test("a missing directory fails clearly and leaves nothing behind")
    func missingDirectory() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("nope/out.png").path
        do {
            try AtomicFile.write([1], to: path)
            Issue.record("write into a missing directory succeeded")
        } catch {
            guard case .fileWriteFailed(let failedPath, _, let reason) = error else { Issue.record("\(error)"); return }
            #expect(failedPath == path)
            #expect(reason.contains("No such file or directory"))
            #expect(error.description.contains(path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("renaming onto a directory fails and removes the temporary file")
    func targetIsDirectory() throws {
        let dir = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try FileManager.default.createFileIfMissing(at: target.appendingPathComponent("x"))
        #expect(throws: ImageError.self) { try AtomicFile.write([1, 2], to: target.path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["taken"])
    }
}

private extension FileManager {
    func createFileIfMissing(at url: URL) throws {
        _ = createFile(atPath: url.path, contents: Data([0]))
    }
}
