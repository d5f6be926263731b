import Foundation
import Testing
@testable import MSGWeights

/// One test per class of hostile input (the fuzz targets' lessons): every
/// one ends in a typed error, never a crash, a hang or runaway memory.
@Suite struct HostileUpstreamTests {
    /// Runs the pickle VM on `bytes`.
    func pickleError(_ bytes: [UInt8], limits: PickleLimits = PickleLimits()) -> WeightsError? {
        bytes.withUnsafeBytes { raw -> WeightsError? in
            do throws(WeightsError) {
                _ = try PickleMachine.load(raw, source: "p", limits: limits)
                return nil
            } catch {
                return error
            }
        }
    }

    let proto: [UInt8] = [0x80, 0x04]

    @Test func forbiddenGlobalsAreNamedAndNeverCalled() {
        // GLOBAL 'os system' then REDUCE: the classic code-execution pickle.
        let evil = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 2, 0, 0, 0] + Array("id".utf8) + [0x85, 0x52, 0x2E]
        #expect(pickleError(evil) == .forbiddenGlobal(file: "p", offset: 2, global: "os.system"))
        // STACK_GLOBAL 'builtins' 'eval'.
        let evil4 = proto + [0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [0x93, 0x2E]
        #expect(pickleError(evil4) == .forbiddenGlobal(file: "p", offset: 18, global: "builtins.eval"))
        // The same inside a .pkl, through the importer.
        let e = weightsError { _ = try ModelImporter.convert(bytes: evil, label: "x.pkl") }
        #expect(e?.description.contains("'os.system'") == true)
    }

    @Test func deepNestingStopsAtTheDepthLimit() {
        // EMPTY_TUPLE then 100k x TUPLE1: would be a 100k-deep structure (and a deinit stack overflow).
        let deep = proto + [0x29] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        guard case .pickleLimit(_, _, "nesting depth", _)? = pickleError(deep) else { Issue.record("\(String(describing: pickleError(deep)))"); return }
        // Lists nested through APPEND hit the same limit.
        var lists = proto
        for _ in 0..<1000 { lists += [0x5D] }
        for _ in 0..<999 { lists += [0x61] }
        guard case .pickleLimit(_, _, "nesting depth", _)? = pickleError(lists + [0x2E]) else { Issue.record("lists"); return }
    }

    @Test func mutatingAnAdoptedContainerIsRefused() {
        // list L memoized, put inside a tuple, then APPEND to L through the memo: depth would go stale.
        let bytes = proto + [0x5D, 0x94, 0x85, 0x68, 0, 0x4E, 0x61, 0x2E]
        guard case .invalidPickle(_, _, let reason)? = pickleError(bytes) else { Issue.record("no error"); return }
        #expect(reason.contains("already part of another value"))
        // A list appended to itself (a cycle) is refused.
        let cycle = proto + [0x5D, 0x94, 0x68, 0, 0x61, 0x2E]
        guard case .invalidPickle(_, _, let r2)? = pickleError(cycle) else { Issue.record("no error"); return }
        #expect(r2.contains("itself"))
    }

    @Test func memoAbuseStopsAtTheMemoLimit() {
        var limits = PickleLimits()
        limits.maxMemo = 1000
        // 2000 distinct LONG_BINPUT keys of one value.
        var bytes = proto + [0x4E]
        for k in 0..<2000 { bytes += [0x72] + withUnsafeBytes(of: UInt32(k * 7919).littleEndian, Array.init) }
        guard case .pickleLimit(_, _, "memo size", 1001)? = pickleError(bytes + [0x2E], limits: limits) else { Issue.record("memo"); return }
        // Sparse huge keys cost nothing beyond the count; GET of a key never PUT is an error.
        let get = proto + [0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E]
        guard case .invalidPickle(_, 2, let reason)? = pickleError(get) else { Issue.record("get"); return }
        #expect(reason.contains("never stored"))
    }

    @Test func valueAndStackFloodsStopAtTheirLimits() {
        var limits = PickleLimits()
        limits.maxStack = 500
        guard case .pickleLimit(_, _, "stack size", _)? = pickleError(proto + [UInt8](repeating: 0x4E, count: 1000), limits: limits) else {
            Issue.record("stack"); return
        }
        limits = PickleLimits()
        limits.maxValues = 1000
        // DUP + APPENDS of a growing list: values counted as they are created.
        var bytes = proto + [0x5D]
        for _ in 0..<2000 { bytes += [0x4E, 0x61] }
        guard case .pickleLimit(_, _, "values created", _)? = pickleError(bytes + [0x2E], limits: limits) else { Issue.record("values"); return }
    }

    @Test func hugeDeclaredSizesAreCheckedAgainstTheInput() {
        for op: UInt8 in [0x8E, 0x8D, 0x96] {   // BINBYTES8, BINUNICODE8, BYTEARRAY8 claiming 2^62 bytes
            let bytes = proto + [op] + withUnsafeBytes(of: (UInt64(1) << 62).littleEndian, Array.init) + [0x2E]
            guard case .invalidPickle(_, 2, let reason)? = pickleError(bytes) else { Issue.record("op \(op)"); return }
            #expect(reason.contains("runs past the end"))
        }
        let long4 = proto + [0x8B, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E]
        #expect(pickleError(long4) != nil)
        let frame = proto + [0x95] + withUnsafeBytes(of: UInt64.max.littleEndian, Array.init) + [0x2E]
        #expect(pickleError(frame) != nil)
    }

    @Test func hugeTensorClaimsInAStateDictAreRefused() throws {
        // A real state_dict whose first ConvTranspose weight claims size [2^30, 16, 4, 4]
        // over its storage of 16 * 16 * 4 * 4 elements. The legacy (pre-1.6) stream has
        // no CRC, so the edited pickle reaches the tensor checks (a zip's CRC-32 would
        // refuse the edit first, before the check this test is named for).
        var bytes = try Upstream.bytes("GAN_GEN_3-legacy.pth")
        let size: [UInt8] = [0x4B, 16, 0x4B, 16, 0x4B, 4, 0x4B, 4]   // BININT1 16, 16, 4, 4
        let at = try #require((0..<(bytes.count - size.count)).first { bytes[$0..<($0 + size.count)].elementsEqual(size) })
        bytes.replaceSubrange(at..<(at + 2), with: [0x4A, 0, 0, 0, 0x40])   // BININT 2^30
        let e = weightsError { _ = try ModelImporter.convert(bytes: bytes, label: "big.pth") }
        guard case .invalidCheckpoint(_, _, let reason)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(reason.contains("[1073741824, 16, 4, 4]") && reason.contains("more elements than its storage (4096)"), "\(reason)")
    }

    @Test(arguments: ["GAN_GEN_OPTIM_1.pth", "GAN_DIS_1.pth"])
    func truncationAtEveryByteOfAZipIsAnError(_ name: String) throws {
        let bytes = try Upstream.bytes(name)
        for n in 0..<bytes.count {
            #expect(weightsError { _ = try ModelImporter.convert(bytes: Array(bytes[..<n]), label: "t") } != nil, "\(n) bytes")
        }
    }

    @Test func truncationAtEveryByteOfPicklesIsAnError() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/fuzz/corpus/FuzzPickle")
        for name in ["progan-d1-l2-legacy.pth", "stylegan-4.pkl", "progan-d1-l2-data.pkl"] {
            let bytes = Array(try Data(contentsOf: corpus.appendingPathComponent(name)))
            for n in 0..<bytes.count {
                let prefix = Array(bytes[..<n])
                // (The legacy stream is several pickles: a prefix may hold a whole first one.)
                if !name.contains("legacy") { #expect(pickleError(prefix) != nil, "\(name): \(n) bytes") }
                #expect(weightsError { _ = try ModelImporter.convert(bytes: prefix, label: "t") } != nil, "\(name): \(n) bytes")
            }
        }
    }

    @Test func trailingBytesAfterATFPickleAreAnError() throws {
        let bytes = try Upstream.bytes("stylegan-32.pkl") + [0]
        guard case .invalidPickle(_, _, let reason)? = weightsError({ _ = try ModelImporter.convert(bytes: bytes, label: "t") }) else {
            Issue.record("no error"); return
        }
        #expect(reason.contains("after the pickle's STOP"))
    }
}

/// The committed fuzz corpus (tools/fuzz/corpus/<target>/) replayed through
/// what each fuzz target calls: a regression test for every past finding.
@Suite struct FuzzCorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/fuzz/corpus")

    static func files(_ target: String) -> [URL] {
        let dir = corpus.appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []).sorted { $0.path < $1.path }
    }

    @Test func corpusReplaysToResultsNotCrashes() throws {
        var count = 0
        for target in ["FuzzSafetensors", "FuzzPickle", "FuzzZip"] {
            for url in Self.files(target) {
                guard let data = try? Data(contentsOf: url) else { continue }  // a live fuzzer may be reducing the corpus
                let bytes = Array(data)
                if let file = try? SafeTensorsFile(bytes: bytes, source: "c") {
                    for name in file.names { _ = try? file.floats(name) }
                    _ = try? ModelFile(file: file, fallbackName: "c")
                }
                bytes.withUnsafeBytes { raw in _ = try? PickleReader.describe(raw, source: "c") }
                _ = try? ModelImporter.convert(bytes: bytes, label: "c")
                count += 1
            }
        }
        #expect(count >= 7)
    }
}

@Suite struct SharedStructureTests {
    /// A legacy torch stream whose object is a DAG of 2^60 paths built with DUP
    /// (memo/stack sharing): walking it path by path would never end.
    @Test func sharedTuplesAreWalkedOnce() throws {
        let corpus = FuzzCorpusReplayTests.corpus.appendingPathComponent("FuzzPickle/progan-d1-l2-legacy.pth")
        let legacy = Array(try Data(contentsOf: corpus))
        // The magic, version and sys-info pickles, as torch writes them.
        let end = try legacy.withUnsafeBytes { raw -> Int in
            var at = TorchCheckpoint.legacyMagic.count
            for _ in 0..<2 { at = try PickleMachine.load(raw, start: at, source: "l").end }
            return at
        }
        var dag: [UInt8] = [0x80, 0x02, 0x4E]
        for _ in 0..<60 { dag += [0x32, 0x86] }   // DUP, TUPLE2
        dag += [0x2E]
        let keys: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]
        let bytes = Array(legacy[..<end]) + dag + keys
        let e = weightsError { _ = try ModelImporter.convert(bytes: bytes, label: "dag.pth") }
        guard case .notAGenerator? = e else { Issue.record("got \(String(describing: e))"); return }
    }

    /// A network pickle whose components share one sub-network many times over.
    @Test func nestedComponentsAreNotWalked() throws {
        let e = weightsError { _ = try ModelFile.open(path: Upstream.path("shared-components.pkl")) }
        guard case .notAGenerator(_, _, let found)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(found.contains("without a 'mapping' component"))
    }
}

@Suite struct HugeClaimTests {
    /// A 2-element storage seen through size [2^40] with stride [0]: 8 TiB if copied.
    @Test func broadcastViewsLargerThanTheirStorageAreRefused() throws {
        // {'w': _rebuild_tensor_v2(('storage', torch.FloatStorage, '0', 'cpu', 2), 0, (1 << 40,), (0,), False, {})}.
        let bytes = try legacyStateDict([("w", [0x8A, 6, 0, 0, 0, 0, 0, 1, 0x85], [0x4B, 0, 0x85])], storageElements: 2)
        let e = weightsError { _ = try ModelImporter.convert(bytes: bytes, label: "b.pth") }
        guard case .invalidCheckpoint(_, "w", let reason)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(reason.contains("more elements than its storage"))
    }
}

extension HugeClaimTests {
    /// A deflated data.pkl whose directory entry claims ~1 GiB: refused before any allocation.
    @Test func inflatedSizeClaimsAreBoundedByTheDeflateRatio() throws {
        var zip = Array(try Data(contentsOf: FuzzCorpusReplayTests.corpus.appendingPathComponent("FuzzZip/progan-d1-l2-deflated.pth")))
        let central = try #require((0..<(zip.count - 4)).first { zip[$0..<($0 + 4)] == [0x50, 0x4B, 0x01, 0x02] })
        zip.replaceSubrange((central + 24)..<(central + 28), with: [0x00, 0x00, 0x00, 0x3F])
        guard case .invalidZip(_, let reason)? = weightsError({ _ = try ModelImporter.convert(bytes: zip, label: "z.pth") }) else {
            Issue.record("no zip error"); return
        }
        #expect(reason.contains("1032:1"))
    }
}
