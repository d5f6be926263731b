import Foundation
import Testing
@testable import MSGWeights
#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory for `body`, removed afterwards.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msg-gen-load-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

/// Runs `body` on its own thread and waits up to `seconds` (polling) for it.
/// If it is still blocked then, `unblock` runs (so the thread can finish) and
/// the result is nil: the caller records the hang.
func finishes<R: Sendable>(within seconds: Double, unblock: () -> Void, _ body: @escaping @Sendable () -> R) -> R? {
    let box = ResultBox<R>()
    Thread.detachNewThread { let v = body(); box.lock.withLock { box.value = v } }
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let v = box.lock.withLock({ box.value }) { return v }
        usleep(10_000)
    }
    unblock()
    return nil
}

/// A value set by one thread and polled by another.
final class ResultBox<R>: @unchecked Sendable {
    let lock = NSLock()
    var value: R?
}

// MARK: - Item 1: a file that changes underneath the loader

@Suite struct FileChangeTests {
    /// A 3-tensor safetensors file written to `dir`.
    func writeFile(_ dir: String) throws -> String {
        let path = dir + "/w.safetensors"
        let bytes = SafeTensorsWriter.encode([entry("a", [64]), entry("b", [4096], dtype: .f16), entry("c", [4096])], metadata: [:])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `cp new old` truncates `old` in place: with a memory map the next read
    /// of a vanished page was SIGBUS; now every read is an error naming the change.
    @Test func truncatedBetweenIndexAndReadIsAnErrorNotASignal() throws {
        try withTemporaryDirectory { dir in
            let path = try writeFile(dir)
            let file = try SafeTensorsFile(path: path)
            #expect(truncate(path, 100) == 0)
            for name in ["a", "b", "c"] {
                guard case .fileChanged(path, let reason)? = weightsError({ _ = try file.floats(name) }) else {
                    Issue.record("\(name): no fileChanged error"); continue
                }
                #expect(reason.contains("size") || reason.contains("ended at byte"), "\(reason)")
            }
            #expect(weightsError { _ = try file.withRawBytes("c") { _ in 0 } } != nil)
        }
    }

    /// A same-size rewrite (new modification time) is refused too: no mix of two files.
    @Test func rewrittenInPlaceIsAnError() throws {
        try withTemporaryDirectory { dir in
            let path = try writeFile(dir)
            let file = try SafeTensorsFile(path: path)
            let before = try file.floats("a")
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count - 1] ^= 0xFF
            let fd = open(path, O_WRONLY)
            #expect(fd >= 0)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            // Set the modification time explicitly: the file clock is coarse.
            var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
            #expect(futimens(fd, &times) == 0)
            close(fd)
            #expect(before.count == 64)
            guard case .fileChanged(path, let reason)? = weightsError({ _ = try file.floats("c") }) else {
                Issue.record("no fileChanged error"); return
            }
            #expect(reason.contains("modified"))
        }
    }

    /// The model path: a real model file opened, then truncated before its tensors are read.
    @Test func modelTensorsReadAfterTruncationAreAnError() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/m.safetensors"
            try FileManager.default.copyItem(atPath: Upstream.goldenPath("progan-d3-l16"), toPath: path)
            let model = try ModelFile.open(path: path)
            #expect(truncate(path, 0) == 0)
            guard case .fileChanged? = weightsError({ _ = try model.floats("layers.0.conv_1.weight") }) else {
                Issue.record("no fileChanged error"); return
            }
        }
    }

    /// Imports read the whole file once, then check it did not change meanwhile.
    @Test func wholeFileReadsCheckTheFile() throws {
        try withTemporaryDirectory { dir in
            let path = try writeFile(dir)
            let file = try WeightsFile(path: path)
            #expect(truncate(path, 10) == 0)
            guard case .fileChanged? = weightsError({ _ = try file.bytes(0..<file.size) }) else {
                Issue.record("no fileChanged error"); return
            }
        }
    }

    /// Reading a file in full with pread gives what a memory map gave.
    @Test func preadReadsEveryDType() throws {
        try withTemporaryDirectory { dir in
            let path = try writeFile(dir)
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let fromFile = try SafeTensorsFile(path: path), inMemory = try SafeTensorsFile(bytes: bytes, source: path)
            for name in ["a", "b", "c"] {
                #expect(try fromFile.floats(name) == inMemory.floats(name))
                #expect(try fromFile.withRawBytes(name, Array.init) == inMemory.withRawBytes(name, Array.init))
            }
        }
    }
}

// MARK: - Item 5: FIFOs and other non-regular files

@Suite struct NonRegularFileTests {
    /// The error each opener gives for `path`, or nil when it hung (then recorded).
    func openError(_ path: String, _ open: @escaping @Sendable (String) throws -> Void) -> WeightsError? {
        let result = finishes(within: 20, unblock: {
            // Give a blocked reader a writer, so the thread ends.
            let fd = Glibc.open(path, O_RDWR | O_NONBLOCK)
            if fd >= 0 { usleep(100_000); close(fd) }
        }) { () -> WeightsError? in weightsError { try open(path) } }
        guard let result else { Issue.record("opening \(path) blocked"); return nil }
        return result
    }

    static let openers: [(String, @Sendable (String) throws -> Void)] = [
        ("ModelFile.open", { _ = try ModelFile.open(path: $0) }),
        ("SafeTensorsFile", { _ = try SafeTensorsFile(path: $0) }),
        ("ModelImporter.convert", { _ = try ModelImporter.convert(path: $0) }),
    ]

    @Test(arguments: 0..<3)
    func fifoIsRefusedWithoutBlocking(_ opener: Int) throws {
        try withTemporaryDirectory { dir in
            let fifo = dir + "/weights.pth"
            #expect(mkfifo(fifo, 0o600) == 0)
            guard case .cannotOpen(fifo, let reason)? = openError(fifo, Self.openers[opener].1) else {
                Issue.record("\(Self.openers[opener].0): FIFO not refused"); return
            }
            #expect(reason.contains("FIFO"), "\(reason)")
        }
    }

    @Test func symlinkToAFIFOIsRefusedWithoutBlocking() throws {
        try withTemporaryDirectory { dir in
            #expect(mkfifo(dir + "/pipe", 0o600) == 0)
            #expect(symlink(dir + "/pipe", dir + "/w.safetensors") == 0)
            guard case .cannotOpen(_, let reason)? = openError(dir + "/w.safetensors", { _ = try ModelFile.open(path: $0) }) else {
                Issue.record("not refused"); return
            }
            #expect(reason.contains("FIFO"))
        }
    }

    @Test(arguments: ["/dev/null", "/dev/zero"])
    func devicesAreRefused(_ path: String) {
        guard case .cannotOpen(path, let reason)? = openError(path, { _ = try ModelFile.open(path: $0) }) else {
            Issue.record("\(path) not refused"); return
        }
        #expect(reason.contains("character device"))
    }

    @Test func directoryIsRefused() throws {
        try withTemporaryDirectory { dir in
            guard case .cannotOpen(dir, let reason)? = openError(dir, { _ = try ModelFile.open(path: $0) }) else {
                Issue.record("not refused"); return
            }
            #expect(reason.contains("a directory"))
        }
    }
}

// MARK: - Item 4: inflated bytes per file, not per member

@Suite struct DecompressionBudgetTests {
    /// Offsets of every central-directory entry of a zip.
    func centralEntries(_ zip: [UInt8]) -> [Int] {
        (0..<(zip.count - 4)).filter { zip[$0..<($0 + 4)] == [0x50, 0x4B, 0x01, 0x02] }
    }

    func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    /// The issue's bomb: every storage entry of a real .pth pointed at one
    /// member's bytes (zip tools never write that; each entry used to inflate
    /// the shared stream again). Refused when the archive is indexed.
    @Test func entriesSharingOneMembersBytesAreRefused() throws {
        var zip = try Upstream.bytes("GAN_GEN_3.pth")
        let entries = centralEntries(zip)
        let names = entries.map { e -> String in
            let n = Int(zip[e + 28]) | Int(zip[e + 29]) << 8
            return String(decoding: zip[(e + 46)..<(e + 46 + n)], as: UTF8.self)
        }
        let storages = entries.indices.filter { names[$0].contains("/data/") }
        #expect(storages.count >= 2)
        let target = Array(zip[(entries[storages[0]] + 42)..<(entries[storages[0]] + 46)])
        for i in storages.dropFirst() {
            zip.replaceSubrange((entries[i] + 42)..<(entries[i] + 46), with: target)
        }
        guard case .invalidZip(_, let reason)? = weightsError({ _ = try ModelImporter.convert(bytes: zip, label: "bomb.pth") }) else {
            Issue.record("shared entries not refused"); return
        }
        #expect(reason.contains("share bytes"), "\(reason)")
    }

    /// The same storage referenced by more tensors than its bytes can back
    /// (repeated entries count every time): refused before any byte is copied.
    @Test func storageReadBeyondItsSizeByRepeatedReferencesIsRefused() throws {
        // {'a': T(storage '0', size (2,)), 'b': T(storage '0', size (2,))} with a 2-element storage.
        let bytes = try legacyStateDict([("a", [0x4B, 2, 0x85], [0x4B, 1, 0x85]), ("b", [0x4B, 2, 0x85], [0x4B, 1, 0x85])], storageElements: 2)
        guard case .invalidCheckpoint(_, "b", let reason)? = weightsError({ _ = try ModelImporter.convert(bytes: bytes, label: "r.pth") }) else {
            Issue.record("repeated references not refused"); return
        }
        #expect(reason.contains("need more bytes than its 8"), "\(reason)")
    }

    /// The FuzzTorchZip corpus (seeds with shared entries, deflated and
    /// repeated storages, and what the fuzzer kept) replays to results, not crashes.
    @Test func torchZipFuzzCorpusReplays() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("FuzzTorchZip").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build FuzzTorchZip first (swift build)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = [FuzzCorpusReplayTests.corpus.appendingPathComponent("FuzzTorchZip").path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(out.contains("replayed"), "\(out)")
    }

    /// A pickle data.pkl may inflate to at most `maxPickleBytes`.
    /// The FuzzTorchZip seed's data.pkl and storages (a depth-1 latent-2 ProGAN state_dict).
    func seedSections() throws -> [[UInt8]] {
        let seed = Array(try Data(contentsOf: FuzzCorpusReplayTests.corpus.appendingPathComponent("FuzzTorchZip/progan-d1-l2-stored.bin")))
        var sections: [[UInt8]] = [[]]
        var i = 1
        while i < seed.count {
            if i + 4 <= seed.count, Array(seed[i..<(i + 4)]) == [0, 0x4D, 0x53, 0x47] { sections.append([]); i += 4 } else { sections[sections.count - 1].append(seed[i]); i += 1 }
        }
        return sections
    }

    /// Raw deflate in stored blocks (BTYPE 00): a valid stream zlib inflates, written by hand.
    func storedDeflate(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var at = 0
        repeat {
            let n = min(65535, bytes.count - at), last: UInt8 = at + n == bytes.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)] + bytes[at..<(at + n)]
            at += n
        } while at < bytes.count
        return out
    }

    func deflatedCheckpoint(_ sections: [[UInt8]]) -> [UInt8] {
        zipArchive([TestZipMember(name: "archive/data.pkl", bytes: sections[0])] + sections.dropFirst().enumerated().map { k, s in
            var m = TestZipMember(name: "archive/data/\(k)", bytes: storedDeflate(s), method: 8, uncompressedSize: s.count)
            m.crc = crc32(s)
            return m
        })
    }

    /// Deflated storages import to the same bytes as stored ones (each inflated once, then freed).
    @Test func deflatedStoragesImportLikeStoredOnes() throws {
        let sections = try seedSections()
        let stored = try ModelImporter.convert(bytes: zipArchive([TestZipMember(name: "archive/data.pkl", bytes: sections[0])]
            + sections.dropFirst().enumerated().map { TestZipMember(name: "archive/data/\($0)", bytes: $1) }), label: "s.pth")
        let deflated = try ModelImporter.convert(bytes: deflatedCheckpoint(sections), label: "s.pth")
        #expect(stored.bytes == deflated.bytes)
    }

    /// A deflated storage larger than its tensors need is refused before it is inflated.
    @Test func deflatedStorageBeyondWhatItsTensorsNeedIsRefused() throws {
        var sections = try seedSections()
        sections[1] += [UInt8](repeating: 0, count: 60_000)
        guard case .invalidCheckpoint(_, _, let reason)? = weightsError({ _ = try ModelImporter.convert(bytes: deflatedCheckpoint(sections), label: "d.pth") }) else {
            Issue.record("not refused"); return
        }
        #expect(reason.contains("would inflate to"), "\(reason)")
    }

    /// A deflated data.pkl claiming 17 MiB (within deflate's 1032:1 of its
    /// 17 000 bytes) is refused before anything is allocated.
    @Test func pickleInflationIsCapped() {
        let zip = zipArchive([TestZipMember(name: "archive/data.pkl", bytes: [UInt8](repeating: 0, count: 17_000), method: 8,
                                            uncompressedSize: 17 << 20)])
        guard case .invalidZip(_, let reason)? = weightsError({ _ = try ModelImporter.convert(bytes: zip, label: "p.pth") }) else {
            Issue.record("not refused"); return
        }
        #expect(reason.contains("at most \(TorchCheckpoint.maxPickleBytes) here"), "\(reason)")
    }
}

/// A legacy torch file: the real header pickles of the committed seed, then
/// `{name: _rebuild_tensor_v2(('storage', torch.FloatStorage, '0', 'cpu', n), 0, size, stride, False, {}) ...}`
/// (`size` and `stride` given as pickled tuples), the key list and storage '0' of n zero floats.
func legacyStateDict(_ tensors: [(name: String, size: [UInt8], stride: [UInt8])], storageElements: Int) throws -> [UInt8] {
    let legacy = Array(try Data(contentsOf: FuzzCorpusReplayTests.corpus.appendingPathComponent("FuzzPickle/progan-d1-l2-legacy.pth")))
    let end = try legacy.withUnsafeBytes { raw -> Int in
        var at = TorchCheckpoint.legacyMagic.count
        for _ in 0..<2 { at = try PickleMachine.load(raw, start: at, source: "l").end }
        return at
    }
    func s(_ t: String) -> [UInt8] { [0x8C, UInt8(t.utf8.count)] + Array(t.utf8) }
    var obj: [UInt8] = [0x80, 0x04, 0x7D, 0x28]                 // {  MARK
    for t in tensors {
        obj += s(t.name) + s("torch._utils") + s("_rebuild_tensor_v2") + [0x93, 0x28]
        obj += [0x28] + s("storage") + s("torch") + s("FloatStorage") + [0x93] + s("0") + s("cpu") + [0x4B, UInt8(storageElements), 0x74, 0x51]
        obj += [0x4B, 0] + t.size + t.stride + [0x89, 0x7D, 0x74, 0x52]
    }
    obj += [0x75, 0x2E]                                          // SETITEMS STOP
    let keys: [UInt8] = [0x80, 0x02, 0x5D] + [0x8C, 1] + Array("0".utf8) + [0x61, 0x2E]
    let storage: [UInt8] = littleEndian(UInt64(storageElements)) + [UInt8](repeating: 0, count: 4 * storageElements)
    return Array(legacy[..<end]) + obj + keys + storage
}
