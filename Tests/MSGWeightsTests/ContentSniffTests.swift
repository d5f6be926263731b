import Foundation
import Testing
@testable import MSGWeights

/// Item 6 of issue 14: a file that is none of the formats gets one line saying
/// what it looks like. One case per look-alike, each through `ModelFile.open`
/// (what `--weights`, `inspect` and `serve` call) on a real file.
@Suite struct ContentSniffTests {
    /// The `.unrecognizedContent` description opening `bytes` as `name` gives, or nil.
    func sniffed(_ bytes: [UInt8], name: String = "w.pth") throws -> String? {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let error = weightsError { _ = try ModelFile.open(path: path) }
            guard case .unrecognizedContent(path, _)? = error else {
                Issue.record("got \(String(describing: error))"); return nil
            }
            return error?.description
        }
    }

    func expectSniffed(_ bytes: [UInt8], _ phrases: String...) throws {
        let line = try sniffed(bytes)
        for p in phrases { #expect(line?.contains(p) == true, "'\(p)' not in \(line ?? "nil")") }
        #expect(line?.contains("\n") == false)
    }

    static let lfsPointer = """
        version https://git-lfs.github.com/spec/v1
        oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
        size 92345678

        """

    /// The issue's case: a Git LFS pointer saved as GAN_GEN_SHADOW_8.pth.
    @Test func gitLFSPointer() throws {
        let line = try sniffed(Array(Self.lfsPointer.utf8), name: "GAN_GEN_SHADOW_8.pth")
        #expect(line?.contains("a Git LFS pointer") == true)
        #expect(line?.contains("92345678 bytes") == true)
        #expect(line?.contains("git lfs pull") == true)
        #expect(line?.contains("header length") == false)
    }

    @Test func empty() throws { try expectSniffed([], "empty") }
    @Test func text() throws { try expectSniffed(Array("these are not weights\nline two\n".utf8), "a text file", "these are not weights") }
    @Test func html() throws { try expectSniffed(Array("\n<!DOCTYPE html>\n<html><head><title>Not Found</title>".utf8), "an HTML page") }
    @Test func gzip() throws { try expectSniffed([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3, 1, 2, 3], "gzip", "gunzip") }
    @Test func bzip2() throws { try expectSniffed(Array("BZh91AY&SY".utf8) + [0xFF, 0x00], "bzip2") }
    @Test func xz() throws { try expectSniffed([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04, 0xE6], "xz") }
    @Test func zstd() throws { try expectSniffed([0x28, 0xB5, 0x2F, 0xFD, 0x04, 0x58, 0x01, 0x00], "zstd") }
    @Test func sevenZip() throws { try expectSniffed([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04, 0x8D], "7z archive") }
    @Test func rar() throws { try expectSniffed(Array("Rar!".utf8) + [0x1A, 0x07, 0x01, 0x00, 0x33], "RAR archive") }
    @Test func unknownBinary() throws { try expectSniffed([0x00, 0xFF, 0x13, 0x37, 0xEE, 0x01, 0x02, 0x03, 0xC0, 0xDE], "unrecognised content", "00 ff 13 37") }

    @Test func zipWithoutATorchPayload() throws {
        let zip = storedZip([("notes/readme.txt", Array("hello".utf8)), ("image.png", [0x89, 0x50])])
        try expectSniffed(zip, "a zip archive without a torch payload", "notes/readme.txt")
    }

    @Test func truncatedSafetensorsHeader() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Upstream.goldenPath("progan-d3-l16"))))
        try expectSniffed(Array(bytes.prefix(100)), "a truncated safetensors file", "100")
    }

    @Test func truncatedSafetensorsData() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Upstream.goldenPath("progan-d3-l16"))))
        try expectSniffed(Array(bytes.prefix(bytes.count - 1000)), "a truncated safetensors file", "\(bytes.count - 1000) bytes")
    }

    @Test func truncatedTorchZip() throws {
        let bytes = try Upstream.bytes("GAN_GEN_3.pth")
        try expectSniffed(Array(bytes.prefix(bytes.count / 2)), "a truncated zip archive")
    }

    @Test(arguments: [0.1, 0.5, 0.9])
    func truncatedTorchLegacy(_ fraction: Double) throws {
        let bytes = try Upstream.bytes("GAN_GEN_3-legacy.pth")
        try expectSniffed(Array(bytes.prefix(Int(Double(bytes.count) * fraction))), "a truncated torch legacy")
    }

    @Test(arguments: [0.1, 0.5, 0.9])
    func truncatedTFPickle(_ fraction: Double) throws {
        let bytes = try Upstream.bytes("stylegan-32.pkl")
        try expectSniffed(Array(bytes.prefix(Int(Double(bytes.count) * fraction))), "a truncated pickle")
    }

    /// Real files of each format are not sniffed as anything else.
    @Test func realFilesStillLoad() throws {
        _ = try ModelFile.open(path: Upstream.goldenPath("progan-d3-l16"))
        _ = try ModelFile.open(path: Upstream.path("GAN_GEN_3.pth"))
        _ = try ModelFile.open(path: Upstream.path("GAN_GEN_3-legacy.pth"))
        _ = try ModelFile.open(path: Upstream.path("stylegan-32.pkl"))
    }
}

// MARK: - A minimal zip writer (stored members)

/// A zip member for `zipArchive`: stored unless `method` says otherwise;
/// `uncompressedSize` may claim more than `bytes` (for hostile archives).
struct TestZipMember {
    var name: String
    var bytes: [UInt8]
    var method: Int = 0
    var uncompressedSize: Int?
    /// The CRC-32 of the uncompressed bytes; default: of `bytes`.
    var crc: UInt32?
}

/// A zip archive of stored members, as `zip -0` writes it.
func storedZip(_ members: [(name: String, bytes: [UInt8])]) -> [UInt8] {
    zipArchive(members.map { TestZipMember(name: $0.name, bytes: $0.bytes) })
}

func zipArchive(_ members: [TestZipMember]) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    var out: [UInt8] = [], central: [UInt8] = []
    for m in members {
        let name = Array(m.name.utf8), crc = m.crc ?? crc32(m.bytes)
        let common = u16(20) + u16(0) + u16(m.method) + u16(0) + u16(0) + u32(crc) + u32(UInt32(m.bytes.count))
            + u32(UInt32(m.uncompressedSize ?? m.bytes.count)) + u16(name.count) + u16(0)
        central += u32(0x0201_4B50) + u16(20) + common + u16(0) + u16(0) + u16(0) + u32(0) + u32(UInt32(out.count)) + name
        out += u32(0x0403_4B50) + common + name + m.bytes
    }
    let eocd = u32(0x0605_4B50) + u16(0) + u16(0) + u16(members.count) + u16(members.count)
        + u32(UInt32(central.count)) + u32(UInt32(out.count)) + u16(0)
    return out + central + eocd
}

/// CRC-32 (IEEE), bit by bit: a test helper, not a fast path.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return ~c
}
