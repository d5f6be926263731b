// MARK: - ContentSniffer

/// Says what a file that is none of the weights formats looks like, so the
/// error is one line a user can act on ("a Git LFS pointer ... run `git lfs
/// pull`") instead of a safetensors parser's complaint about a header length
/// read from the bytes of "vers".
///
/// Consulted only when the content matched no upstream container, before the
/// safetensors parser runs: a plausible safetensors start (a header length
/// within the cap and the file, then `{`) is left to that parser.
enum ContentSniffer {
    /// Bytes read from the start of a file to recognise it.
    static let prefixLength = 4096

    /// A description of `head` (the file's first bytes) when it cannot be a
    /// safetensors file, else nil.
    static func foreignContent(_ head: [UInt8], fileSize: Int) -> String? {
        if fileSize == 0 { return "the file is empty (0 bytes)" }
        if let lfs = gitLFSPointer(head) { return lfs }
        if let magic = knownMagic(head) { return magic }
        let safetensors = safetensorsStart(head, fileSize: fileSize)
        if safetensors == .plausible { return nil }
        if let markup = html(head) { return markup }
        if let text = text(head) { return text }
        if case .truncated(let header) = safetensors {
            return "a truncated safetensors file: its header alone claims \(header) bytes, the file has \(fileSize) (copy or download it again)"
        }
        if fileSize < 8 {
            return "\(fileSize) bytes, too short for any weights format (safetensors starts with an 8-byte header length)"
        }
        let shown = head.prefix(8).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return "unrecognised content (first bytes \(shown.joined(separator: " "))): not safetensors, a torch .pth or a TF .pkl"
    }

    // MARK: - Safetensors

    enum SafetensorsStart: Equatable { case plausible, truncated(header: Int), no }

    /// An 8-byte header length within the cap, followed by `{`.
    static func safetensorsStart(_ head: [UInt8], fileSize: Int) -> SafetensorsStart {
        guard head.count >= 9 else { return .no }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(head[i]) << (8 * UInt64(i)) }
        guard length >= 2, length <= UInt64(SafeTensorsFile.maxHeaderLength), head[8] == UInt8(ascii: "{") else { return .no }
        return length <= UInt64(fileSize - 8) ? .plausible : .truncated(header: Int(length))
    }

    // MARK: - Look-alikes

    /// `version https://git-lfs.github.com/spec/v1`, `oid sha256:...`, `size N`.
    static func gitLFSPointer(_ head: [UInt8]) -> String? {
        let marker = Array("version https://git-lfs.github.com/spec/".utf8)
        guard head.count >= marker.count, Array(head.prefix(marker.count)) == marker else { return nil }
        let lines = String(decoding: head.prefix(1024), as: UTF8.self).split(separator: "\n")
        var details: [String] = []
        if let size = lines.first(where: { $0.hasPrefix("size ") }).map({ $0.dropFirst(5) }), let n = Int(size) {
            details.append("the real file has \(n) bytes")
        }
        if let oid = lines.first(where: { $0.hasPrefix("oid ") }).map({ String($0.dropFirst(4)) }) {
            details.append("oid \(oid.prefix(19))...")
        }
        let said = details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")"
        return "a Git LFS pointer, not the weights\(said): run `git lfs pull` in the repository it came from to download them"
    }

    private static let magics: [(bytes: [UInt8], offset: Int, what: String)] = [
        ([0x1F, 0x8B], 0, "a gzip-compressed file: decompress it first (gunzip) and use the file inside"),
        (Array("BZh".utf8), 0, "a bzip2-compressed file: decompress it first (bunzip2) and use the file inside"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], 0, "an xz-compressed file: decompress it first (unxz) and use the file inside"),
        ([0x28, 0xB5, 0x2F, 0xFD], 0, "a zstd-compressed file: decompress it first (unzstd) and use the file inside"),
        ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], 0, "a 7z archive: extract it first (7z x) and use the weights file inside"),
        (Array("Rar!\u{1A}\u{07}".utf8), 0, "a RAR archive: extract it first (unrar x) and use the weights file inside"),
        (Array("ustar".utf8), 257, "a tar archive: extract it first (tar xf) and use the weights file inside"),
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], 0, "a PNG image, not weights"),
        ([0x93] + Array("NUMPY".utf8), 0, "a NumPy .npy array, not a generator's weights"),
        ([0x89] + Array("HDF\r\n\u{1A}\n".utf8), 0, "an HDF5 file (Keras .h5?), a format msg-gen does not read"),
        ([0x7F] + Array("ELF".utf8), 0, "an executable (ELF), not weights"),
    ]

    static func knownMagic(_ head: [UInt8]) -> String? {
        for m in magics where head.count >= m.offset + m.bytes.count
            && Array(head[m.offset..<(m.offset + m.bytes.count)]) == m.bytes {
            // "BZh" must be followed by a block size digit.
            if m.bytes == Array("BZh".utf8), !(head.count > 3 && (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(head[3])) { continue }
            return m.what
        }
        return nil
    }

    /// `<!doctype html`, `<html`, `<head` or `<body` after optional BOM and whitespace.
    static func html(_ head: [UInt8]) -> String? {
        var text = Substring(String(decoding: head.prefix(512), as: UTF8.self))
        if text.first == "\u{FEFF}" { text = text.dropFirst() }
        let start = text.drop { $0.isWhitespace }.prefix(14).lowercased()
        guard ["<!doctype html", "<html", "<head", "<body"].contains(where: { start.hasPrefix($0) }) else { return nil }
        return "an HTML page (a download that saved a web page, e.g. a login or 'file not found' page, instead of the file)"
    }

    /// Printable UTF-8 (tabs and line breaks allowed) throughout the first bytes.
    static func text(_ head: [UInt8]) -> String? {
        guard !head.isEmpty else { return nil }
        // A multi-byte character may be cut at the end of the prefix.
        var decoded: String?
        for cut in 0...min(3, head.count - 1) where decoded == nil {
            decoded = String(validating: head.dropLast(cut), as: UTF8.self)
        }
        guard let string = decoded,
              string.unicodeScalars.allSatisfy({ ($0.value >= 0x20 && $0.value != 0x7F) || $0 == "\n" || $0 == "\r" || $0 == "\t" }) else {
            return nil
        }
        let firstLine = string.split(whereSeparator: \.isNewline).first.map { String($0.prefix(60)) } ?? ""
        return "a text file, starting '\(firstLine)'"
    }
}
