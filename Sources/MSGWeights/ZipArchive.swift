import CZlib

// MARK: - ZipArchive

/// A read-only index of a zip archive (torch.save's container since 1.6):
/// the central directory is read, every member's local header and data range
/// checked against the file, and members are read on demand. Stored members
/// are ranges of the input (never copied); deflated ones are inflated with a
/// bounded output. Zip64 records are understood; multi-disk archives,
/// encryption and other compression methods are refused, and so are members
/// that share bytes (zip tools never write them; pointing many entries at one
/// deflate stream is how a small file inflates to gigabytes).
struct ZipArchive {
    struct Member {
        let name: String
        /// 0 stored, 8 deflated.
        let method: UInt16
        let crc32: UInt32
        /// Compressed data, as a range of the input.
        let dataRange: Range<Int>
        let uncompressedSize: Int
        /// Where its local header starts.
        let localOffset: Int
    }

    static let maxMembers = 1 << 16
    /// Largest inflated member accepted (the pickle and small metadata files
    /// are the only members ever compressed in practice).
    static let maxInflatedSize = 1 << 30

    let source: String
    /// Members in central-directory order.
    let members: [Member]
    private let index: [String: Int]

    subscript(name: String) -> Member? { index[name].map { members[$0] } }

    static func isZip(_ data: UnsafeRawBufferPointer) -> Bool {
        data.count >= 4 && data[0] == 0x50 && data[1] == 0x4B && data[2] == 0x03 && data[3] == 0x04
    }

    init(_ data: UnsafeRawBufferPointer, source: String) throws(WeightsError) {
        self.source = source
        func fail(_ reason: String) -> WeightsError { .invalidZip(file: source, reason: reason) }
        let reader = Reader(data: data)

        // End of central directory: the last "PK\5\6" within the final 64 KiB + 22 bytes.
        // A zip's directory is at its end: a local header at the start and no
        // end record means the file was cut short.
        func truncated() -> WeightsError {
            .unrecognizedContent(file: source, what: "a truncated zip archive (a torch .pth cut short?): \(data.count) bytes and no end-of-central-directory record (copy or download it again)")
        }
        guard data.count >= 22 else { throw truncated() }
        var eocd = -1
        var at = data.count - 22
        let lowest = max(0, data.count - 22 - 0xFFFF)
        while at >= lowest {
            if reader.u32(at) == 0x0605_4B50 { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else { throw truncated() }
        guard reader.u16(eocd + 4) == 0, reader.u16(eocd + 6) == 0 else { throw fail("multi-disk archives are not supported") }
        var entryCount = UInt64(reader.u16(eocd + 10))
        var directorySize = UInt64(reader.u32(eocd + 12))
        var directoryOffset = UInt64(reader.u32(eocd + 16))

        // Zip64: the locator sits right before the EOCD.
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard locator >= 0, reader.u32(locator) == 0x0706_4B50 else { throw fail("zip64 fields without a zip64 locator") }
            let record64 = reader.u64(locator + 8)
            guard data.count >= 56, record64 <= UInt64(data.count - 56), reader.u32(Int(record64)) == 0x0606_4B50 else {
                throw fail("zip64 end-of-central-directory record out of range")
            }
            let r = Int(record64)
            entryCount = reader.u64(r + 32)
            directorySize = reader.u64(r + 40)
            directoryOffset = reader.u64(r + 48)
        }
        guard entryCount <= UInt64(Self.maxMembers) else { throw fail("\(entryCount) members (at most \(Self.maxMembers))") }
        guard directoryOffset <= UInt64(data.count), directorySize <= UInt64(data.count) - directoryOffset else {
            throw fail("central directory (offset \(directoryOffset), \(directorySize) bytes) runs past the end of the file")
        }

        var members: [Member] = []
        var index: [String: Int] = [:]
        var cursor = Int(directoryOffset)
        let directoryEnd = Int(directoryOffset + directorySize)
        for n in 0..<Int(entryCount) {
            guard directoryEnd - cursor >= 46, reader.u32(cursor) == 0x0201_4B50 else {
                throw fail("central directory entry \(n) is malformed or truncated")
            }
            let flags = reader.u16(cursor + 8)
            let method = reader.u16(cursor + 10)
            let crc = reader.u32(cursor + 16)
            var compressed = UInt64(reader.u32(cursor + 20))
            var uncompressed = UInt64(reader.u32(cursor + 24))
            let nameLength = Int(reader.u16(cursor + 28))
            let extraLength = Int(reader.u16(cursor + 30))
            let commentLength = Int(reader.u16(cursor + 32))
            var localOffset = UInt64(reader.u32(cursor + 42))
            let entryEnd = cursor + 46 + nameLength + extraLength + commentLength
            guard entryEnd <= directoryEnd else { throw fail("central directory entry \(n) runs past the directory") }
            let nameBytes = UnsafeRawBufferPointer(rebasing: data[(cursor + 46)..<(cursor + 46 + nameLength)])
            guard let name = String(validating: nameBytes, as: UTF8.self) else { throw fail("member \(n) has a name that is not UTF-8") }
            guard flags & 0x1 == 0 else { throw fail("member '\(name)' is encrypted") }
            guard method == 0 || method == 8 else { throw fail("member '\(name)' uses compression method \(method) (only stored and deflate)") }

            // Zip64 extended information: the 0xFFFFFFFF fields, in order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extraEnd - extra >= 4 {
                let id = reader.u16(extra), size = Int(reader.u16(extra + 2))
                guard extraEnd - extra - 4 >= size else { throw fail("member '\(name)' has a truncated extra field") }
                if id == 0x0001 {
                    var field = extra + 4
                    func next() throws(WeightsError) -> UInt64 {
                        guard extra + 4 + size - field >= 8 else { throw fail("member '\(name)' has a short zip64 field") }
                        defer { field += 8 }
                        return reader.u64(field)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + size
            }

            // The local header gives the data start (its name and extra lengths may differ).
            guard data.count >= 30, localOffset <= UInt64(data.count - 30), reader.u32(Int(localOffset)) == 0x0403_4B50 else {
                throw fail("member '\(name)' has no local header at offset \(localOffset)")
            }
            let local = Int(localOffset)
            let dataStart = local + 30 + Int(reader.u16(local + 26)) + Int(reader.u16(local + 28))
            guard dataStart <= data.count, compressed <= UInt64(data.count - dataStart) else {
                throw fail("member '\(name)' (\(compressed) bytes at \(dataStart)) runs past the end of the file")
            }
            if method == 0, compressed != uncompressed {
                throw fail("stored member '\(name)' declares \(compressed) stored and \(uncompressed) uncompressed bytes")
            }
            guard uncompressed <= UInt64(Int.max) else { throw fail("member '\(name)' declares \(uncompressed) bytes") }
            guard index[name] == nil else { throw fail("member '\(name)' appears twice") }
            index[name] = members.count
            members.append(Member(name: name, method: method, crc32: crc,
                                  dataRange: dataStart..<(dataStart + Int(compressed)), uncompressedSize: Int(uncompressed),
                                  localOffset: local))
            cursor = entryEnd
        }
        // No two members may share bytes: each local header and its data
        // belong to one entry (this is what makes inflated bytes per file,
        // not per member, bounded by the file's own size).
        let spans = members.map { (start: $0.localOffset, end: $0.dataRange.upperBound, name: $0.name) }.sorted { $0.start < $1.start }
        for (a, b) in zip(spans, spans.dropFirst()) where b.start < a.end {
            throw fail("members '\(a.name)' and '\(b.name)' share bytes \(b.start)..<\(min(a.end, b.end)) (overlapping entries: a decompression bomb, never written by zip tools)")
        }
        self.members = members
        self.index = index
    }

    // MARK: - Reading members

    /// The member's bytes, CRC-checked: stored ones as `body(range)` of the
    /// input, deflated ones inflated (at most `maxInflatedSize`).
    enum Content {
        case range(Range<Int>)
        case inflated([UInt8])
    }

    func content(_ member: Member, in data: UnsafeRawBufferPointer, limit: Int) throws(WeightsError) -> Content {
        try Self.content(member, in: data, source: source, limit: limit)
    }

    /// A stored member's range of the input, CRC-checked.
    func storedRange(_ member: Member, in data: UnsafeRawBufferPointer) throws(WeightsError) -> Range<Int> {
        guard case .range(let r) = try content(member, in: data, limit: member.dataRange.count) else {
            throw .invalidZip(file: source, reason: "member '\(member.name)' is not stored")
        }
        return r
    }

    /// The member's content; a deflated one may inflate to at most `limit`
    /// bytes (what its reader can legitimately need; never above `maxInflatedSize`).
    static func content(_ member: Member, in data: UnsafeRawBufferPointer, source: String, limit: Int) throws(WeightsError) -> Content {
        func fail(_ reason: String) -> WeightsError { .invalidZip(file: source, reason: "member '\(member.name)': \(reason)") }
        switch member.method {
        case 0:
            let bytes = UnsafeRawBufferPointer(rebasing: data[member.dataRange])
            guard Self.crc(bytes) == member.crc32 else { throw fail("CRC-32 mismatch") }
            return .range(member.dataRange)
        default:
            // Deflate expands at most ~1032:1: a larger claim is a lie, and would
            // make a tiny file reserve up to the cap.
            let cap = min(limit, Self.maxInflatedSize)
            let (ratioBound, overflow) = member.dataRange.count.multipliedReportingOverflow(by: 1032)
            guard member.uncompressedSize <= cap, overflow || member.uncompressedSize <= ratioBound + 1024 else {
                throw fail("declares \(member.uncompressedSize) inflated bytes from \(member.dataRange.count) (at most \(cap) here, and 1032:1)")
            }
            let input = UnsafeRawBufferPointer(rebasing: data[member.dataRange])
            var out = [UInt8](repeating: 0, count: member.uncompressedSize)
            let produced: Int? = out.withUnsafeMutableBytes { outRaw in Self.inflate(input, into: outRaw) }
            guard let produced, produced == member.uncompressedSize else { throw fail("deflate data is corrupt or not of the declared size") }
            let ok = out.withUnsafeBytes { Self.crc($0) == member.crc32 }
            guard ok else { throw fail("CRC-32 mismatch") }
            return .inflated(out)
        }
    }

    /// Raw deflate into `out`; the byte count when the stream ends exactly within `out`, else nil.
    private static func inflate(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int? {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var scratch: UInt8 = 0
        // zlib wants non-null pointers even for empty buffers.
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self)) ?? withUnsafeMutablePointer(to: &scratch) { $0 }
        stream.next_out = out.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? withUnsafeMutablePointer(to: &scratch) { $0 }
        var inputLeft = input.count, outputLeft = out.count
        while true {
            let inChunk = min(inputLeft, Int(UInt32.max)), outChunk = min(outputLeft, Int(UInt32.max))
            stream.avail_in = UInt32(inChunk)
            stream.avail_out = UInt32(outChunk)
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            inputLeft -= inChunk - Int(stream.avail_in)
            outputLeft -= outChunk - Int(stream.avail_out)
            if status == Z_STREAM_END { return out.count - outputLeft }
            guard status == Z_OK else { return nil }
            if stream.avail_out == 0 && outputLeft == 0 { return nil }  // more output than declared
            if stream.avail_in == 0 && inputLeft == 0 { return nil }    // input ended early
        }
    }

    static func crc(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt = crc32(0, nil, 0)
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            c = crc32(c, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, UInt32(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: c)
    }

    // MARK: - Little-endian reads (callers check bounds first)

    private struct Reader {
        let data: UnsafeRawBufferPointer
        func u16(_ at: Int) -> UInt16 { UInt16(data[at]) | UInt16(data[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
    }
}
