import CZlib
import MSGWeights

// libFuzzer target: the whole .pth import path (torch zip container, the
// state_dict pickle, storages, the ProGAN importer, the converted file's
// validation), structure-aware so mutations get past the zip's CRCs:
//
//   input = options byte, then sections separated by "\0MSG":
//           section 0 is `archive/data.pkl`, section k >= 1 is `archive/data/{k-1}`.
//   options bit 0: deflate data.pkl       bit 1: deflate the storages
//           bit 2: point every storage entry at the first storage's bytes
//                  (shared entries: issue 14's decompression bomb)
//           bit 3: add `archive/byteorder` = "little"
//           bit 4: a storage section's first byte r repeats the rest (r + 1) * 256
//                  times (a few bytes describe megabytes; 32 MiB over all storages)
//
// FuzzZip mutates raw archives; this one reaches the storages and the
// importer with mutated pickles and archives that inflate far beyond their size.
// Built with -DMSG_FUZZ (tools/fuzz.sh) libFuzzer calls the entry point;
// otherwise `FuzzTorchZip FILE...` replays inputs (the committed corpus).
func fuzzOne(_ input: [UInt8]) {
    guard let zip = TorchZipBuilder.archive(from: input) else { return }
    guard let converted = try? ModelImporter.convert(bytes: zip, label: "fuzz.pth") else { return }
    _ = try? ModelFile(file: SafeTensorsFile(bytes: converted.bytes, source: "fuzz.pth"), fallbackName: "fuzz")
}

enum TorchZipBuilder {
    static let separator: [UInt8] = [0, 0x4D, 0x53, 0x47]
    /// Most bytes the repeats may expand to, all storages together (the harness's own memory).
    static let maxExpanded = 32 << 20

    static func archive(from input: [UInt8]) -> [UInt8]? {
        guard let options = input.first else { return nil }
        var sections: [[UInt8]] = [[]]
        var i = 1
        while i < input.count {
            if i + 4 <= input.count, Array(input[i..<(i + 4)]) == separator {
                sections.append([]); i += 4
            } else {
                sections[sections.count - 1].append(input[i]); i += 1
            }
        }
        guard sections.count <= 64 else { return nil }
        var members: [(name: String, bytes: [UInt8], deflate: Bool)] = [("archive/data.pkl", sections[0], options & 1 != 0)]
        if options & 8 != 0 { members.append(("archive/byteorder", Array("little".utf8), false)) }
        var expanded = 0
        for (k, s) in sections.dropFirst().enumerated() {
            var bytes = s
            if options & 16 != 0, let r = s.first {
                let body = Array(s.dropFirst()), times = (Int(r) + 1) * 256
                expanded += body.count * times
                guard expanded <= maxExpanded else { return nil }
                bytes = []
                bytes.reserveCapacity(body.count * times)
                for _ in 0..<times { bytes += body }
            }
            members.append(("archive/data/\(k)", bytes, options & 2 != 0))
        }
        return write(members, shareStorages: options & 4 != 0)
    }

    /// A zip of `members`; with `shareStorages`, every storage's directory
    /// entry points at the first storage's local header.
    static func write(_ members: [(name: String, bytes: [UInt8], deflate: Bool)], shareStorages: Bool) -> [UInt8]? {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var out: [UInt8] = [], central: [UInt8] = []
        var firstStorage: UInt32?
        for m in members {
            let data = m.deflate ? deflate(m.bytes) : m.bytes
            guard let data, out.count < Int(UInt32.max) - data.count else { return nil }
            let name = Array(m.name.utf8)
            let crc = m.bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
            let common = u16(20) + u16(0) + u16(m.deflate ? 8 : 0) + u16(0) + u16(0) + u32(crc)
                + u32(UInt32(data.count)) + u32(UInt32(m.bytes.count)) + u16(name.count) + u16(0)
            var offset = UInt32(out.count)
            if m.name.hasPrefix("archive/data/") {
                if shareStorages, let first = firstStorage { offset = first } else { firstStorage = offset }
            }
            central += u32(0x0201_4B50) + u16(20) + common + u16(0) + u16(0) + u16(0) + u32(0) + u32(offset) + name
            out += u32(0x0403_4B50) + common + name + data
        }
        let eocd = u32(0x0605_4B50) + u16(0) + u16(0) + u16(members.count) + u16(members.count)
            + u32(UInt32(central.count)) + u32(UInt32(out.count)) + u16(0)
        return out + central + eocd
    }

    /// Raw deflate (no zlib header), as zip stores it.
    static func deflate(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard deflateInit2_(&stream, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 16)
        var source = input
        let status: Int32 = source.withUnsafeMutableBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var scratch: UInt8 = 0
                stream.next_in = src.baseAddress ?? withUnsafeMutablePointer(to: &scratch) { $0 }
                stream.avail_in = UInt32(src.count)
                stream.next_out = dst.baseAddress!
                stream.avail_out = UInt32(dst.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return Array(out[0..<Int(stream.total_out)])
    }
}

#if MSG_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzOne(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main enum Replay {
    static func main() { FuzzReplay.run(CommandLine.arguments.dropFirst(), fuzzOne) }
}
#endif
