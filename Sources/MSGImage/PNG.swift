import CMSGPNG

/// 8-bit RGB PNG through libpng (all libpng calls live in CMSGPNG/msg_png.c).
public enum PNG {
    /// Largest side `decode` accepts, checked before anything is allocated.
    public static let maxDecodeDimension = 16_384

    /// Encodes `image` as a non-interlaced 8-bit RGB PNG with one text chunk
    /// per entry of `text`, in order. Keys follow the PNG keyword rules
    /// (1-79 printable Latin-1 characters, no leading, trailing or double
    /// spaces). A value that Latin-1 can hold is written as `tEXt`; any other
    /// value as an uncompressed `iTXt` (UTF-8), so nothing is mangled.
    /// zlib level `compressionLevel`, libpng's adaptive filters.
    public static func encode(_ image: RGBImage, text: [(key: String, value: String)] = [],
                              compressionLevel: Int = 6) throws(ImageError) -> [UInt8] {
        try encode(image, text: text, settings: PNGSettings(compressionLevel: compressionLevel, filters: .adaptive, strategy: .default))
    }

    /// The same with explicit encoder settings (`PNGSettings.pictures`: what
    /// msg-gen writes); with a `sink` the PNG goes there as it is made and the
    /// result is empty.
    @discardableResult
    public static func encode(_ image: RGBImage, text: [(key: String, value: String)] = [],
                              settings: PNGSettings, sink: (any ByteSink)? = nil) throws(ImageError) -> [UInt8] {
        let writer = try PNGWriter(width: image.width, height: image.height, text: text, settings: settings, sink: sink)
        try image.pixels.withUnsafeBufferPointer { (p) throws(ImageError) in
            try writer.write(rows: p.baseAddress!, count: image.height, stride: image.width * 3)
        }
        return try writer.finish()
    }

    /// Decodes an 8-bit RGB PNG (any other bit depth or colour type is an
    /// error) with its text chunks (`tEXt` and `zTXt` read as Latin-1, `iTXt`
    /// as UTF-8; a repeated key keeps its last value).
    public static func decode(_ bytes: [UInt8]) throws(ImageError) -> (image: RGBImage, text: [String: String]) {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0
        var height: UInt32 = 0
        var texts: UnsafeMutablePointer<UInt8>?
        var textsSize = 0
        var textCount = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = bytes.withUnsafeBufferPointer { data in
            msg_png_decode_rgb8(data.baseAddress, data.count, UInt32(maxDecodeDimension),
                                &pixels, &width, &height, &texts, &textsSize, &textCount,
                                &message, message.count)
        }
        guard status == 0, let pixels else { throw .pngDecodingFailed(cString(message)) }
        defer {
            msg_png_free(pixels)
            msg_png_free(texts)
        }
        let image = RGBImage(width: Int(width), height: Int(height),
                             pixels: Array(UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height) * 3)))
        var text: [String: String] = [:]
        if let texts {
            // Records: [is_utf8] key NUL value NUL (see msg_png.h).
            let blob = UnsafeBufferPointer(start: texts, count: textsSize)
            var i = 0
            for _ in 0..<textCount {
                let utf8 = blob[i] != 0
                i += 1
                let keyEnd = blob[i...].firstIndex(of: 0)!
                let valueEnd = blob[(keyEnd + 1)...].firstIndex(of: 0)!
                let key = latin1String(blob[i..<keyEnd])
                let valueBytes = blob[(keyEnd + 1)..<valueEnd]
                text[key] = utf8 ? String(decoding: valueBytes, as: UTF8.self) : latin1String(valueBytes)
                i = valueEnd + 1
            }
        }
        return (image, text)
    }

    // MARK: - Text rules (PNG spec, 11.3.4: tEXt keywords)

    static func keywordBytes(_ key: String) throws(ImageError) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in key.unicodeScalars {
            let v = scalar.value
            guard (32...126).contains(v) || (161...255).contains(v) else {
                throw .invalidTextKey(key: key, reason: "U+\(String(v, radix: 16, uppercase: true)) is not a printable Latin-1 character")
            }
            bytes.append(UInt8(v))
        }
        guard (1...79).contains(bytes.count) else {
            throw .invalidTextKey(key: key, reason: "must be 1 to 79 characters, has \(bytes.count)")
        }
        guard bytes.first != 32, bytes.last != 32 else {
            throw .invalidTextKey(key: key, reason: "must not start or end with a space")
        }
        guard !zip(bytes, bytes.dropFirst()).contains(where: { $0 == 32 && $1 == 32 }) else {
            throw .invalidTextKey(key: key, reason: "must not contain consecutive spaces")
        }
        return bytes
    }

    /// The value's bytes and whether they are UTF-8 (iTXt) rather than Latin-1 (tEXt).
    static func textValueBytes(_ value: String, key: String) throws(ImageError) -> ([UInt8], Bool) {
        guard !value.unicodeScalars.contains("\0") else {
            throw .invalidTextValue(key: key, reason: "contains a NUL character")
        }
        if value.unicodeScalars.allSatisfy({ $0.value <= 255 }) {
            return (value.unicodeScalars.map { UInt8($0.value) }, false)
        }
        return (Array(value.utf8), true)
    }

    static func latin1String<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(s)
    }

    static func cString(_ chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return bytes.isEmpty ? "unknown error" : String(decoding: bytes, as: UTF8.self)
    }
}

/// zlib and filter settings of the PNG encoder. Every choice gives a valid
/// PNG of the same pixels; they trade time for size (README: "Pictures").
public struct PNGSettings: Sendable, Equatable {
    /// Row filters (PNG spec 9.2) libpng may choose among, per row.
    public enum Filters: Int32, Sendable {
        /// libpng's default: all five, chosen per row by the smallest sum of absolute differences.
        case adaptive = 0
        case none = 0x08, sub = 0x10, up = 0x20, average = 0x40, paeth = 0x80
    }
    /// zlib strategies (zlib.h): what deflate looks for in the filtered bytes.
    public enum Strategy: Int32, Sendable {
        case `default` = 0, filtered = 1, huffmanOnly = 2, rle = 3
    }
    /// zlib level 0 (stored) ... 9.
    public var compressionLevel: Int
    public var filters: Filters
    public var strategy: Strategy

    public init(compressionLevel: Int = 6, filters: Filters = .adaptive, strategy: Strategy = .default) {
        self.compressionLevel = compressionLevel; self.filters = filters; self.strategy = strategy
    }

    /// What msg-gen's pictures use (CLI and server alike; measured in README
    /// "Pictures" with `msg-gen bench --png-seeds 64`): the Paeth filter on
    /// every row and zlib's run-length strategy (Z_RLE, which ignores the level
    /// above 0). On the faces models' grids it is 4% smaller than level 6 with
    /// adaptive filters (filtered generator output has few long repeats for the
    /// default strategy to find) and 0.3% larger than adaptive filters with
    /// Z_RLE, while encoding about 3x faster than the latter: libpng's adaptive
    /// heuristic filters every row five ways to pick one.
    public static let pictures = PNGSettings(compressionLevel: 1, filters: .paeth, strategy: .rle)
}

/// Where a streamed file's bytes go, in order (`AtomicFile.Stream`: the output
/// file itself, written under a temporary identity).
public protocol ByteSink: AnyObject {
    /// Appends `bytes`; throws naming what failed (a full disk, an I/O error).
    func write(_ bytes: UnsafeRawBufferPointer) throws(ImageError)
}

/// A PNG encoder fed rows top to bottom as they are ready (libpng's row API):
/// it holds the compressed output and libpng's one-row filter state, never
/// the whole picture; with a sink, not even the output (pieces of about
/// 1 MiB, `MSG_PNG_SINK_CHUNK`, go on as they fill). Not thread-safe.
public final class PNGWriter {
    public let width: Int
    public let height: Int
    public private(set) var rowsWritten = 0
    private var writer: OpaquePointer?
    private let sinkBox: SinkBox?

    /// Holds the sink for the C callback and the error it threw, if any.
    private final class SinkBox {
        let sink: any ByteSink
        var error: ImageError?
        init(_ sink: any ByteSink) { self.sink = sink }
    }

    /// Text chunks as in `PNG.encode`. Throws for a size PNG cannot hold, a bad
    /// keyword or value, or settings outside zlib's ranges. `sink`: where the
    /// PNG goes as it is made (`finish` then returns nothing); nil keeps it in memory.
    public init(width: Int, height: Int, text: [(key: String, value: String)] = [], settings: PNGSettings = .pictures,
                sink: (any ByteSink)? = nil) throws(ImageError) {
        guard (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height) else {
            throw .invalidImageSize(width: width, height: height)
        }
        guard (0...9).contains(settings.compressionLevel) else { throw .invalidCompressionLevel(settings.compressionLevel) }
        self.width = width
        self.height = height
        var strings: [UInt8] = []
        var records: [(key: Int, value: Int, utf8: Bool)] = []
        for (key, value) in text {
            let keyBytes = try PNG.keywordBytes(key)
            let (valueBytes, utf8) = try PNG.textValueBytes(value, key: key)
            records.append((strings.count, strings.count + keyBytes.count + 1, utf8))
            strings += keyBytes + [0] + valueBytes + [0]
        }
        var message = [CChar](repeating: 0, count: 512)
        var created: OpaquePointer?
        let status = strings.withUnsafeBufferPointer { stringBuffer in
            stringBuffer.withMemoryRebound(to: CChar.self) { chars in
                let texts = records.map { record in
                    msg_png_text(key: chars.baseAddress! + record.key, value: chars.baseAddress! + record.value,
                                 is_utf8: record.utf8 ? 1 : 0)
                }
                return texts.withUnsafeBufferPointer { textBuffer in
                    msg_png_writer_create(UInt32(width), UInt32(height), textBuffer.baseAddress, textBuffer.count,
                                          Int32(settings.compressionLevel), settings.filters.rawValue, settings.strategy.rawValue,
                                          &created, &message, message.count)
                }
            }
        }
        guard status == 0, let created else { throw .pngEncodingFailed(PNG.cString(message)) }
        writer = created
        sinkBox = sink.map(SinkBox.init)
        if let sinkBox {
            msg_png_writer_set_sink(created, { context, bytes, size in
                let box = Unmanaged<SinkBox>.fromOpaque(context!).takeUnretainedValue()
                do throws(ImageError) {
                    try box.sink.write(UnsafeRawBufferPointer(start: bytes, count: size))
                    return 0
                } catch {
                    box.error = error
                    return 1
                }
            }, Unmanaged.passUnretained(sinkBox).toOpaque())
        }
    }

    /// The sink's own error when the C side failed because of it, else libpng's message.
    private func failure(_ message: [CChar]) -> ImageError { sinkBox?.error ?? .pngEncodingFailed(PNG.cString(message)) }

    deinit { msg_png_writer_free(writer) }

    /// `count` rows of `width * 3` bytes, `stride` bytes apart, continuing where the last call stopped.
    public func write(rows: UnsafePointer<UInt8>, count: Int, stride: Int) throws(ImageError) {
        guard count >= 0, count <= height - rowsWritten, stride >= width * 3 else {
            throw .pngEncodingFailed("\(count) rows at row \(rowsWritten) of \(height) (stride \(stride))")
        }
        var message = [CChar](repeating: 0, count: 512)
        guard msg_png_writer_rows(writer, rows, UInt32(count), stride, &message, message.count) == 0 else {
            throw failure(message)
        }
        rowsWritten += count
    }

    /// The PNG, once every row is written (empty when it went to a sink).
    @discardableResult
    public func finish() throws(ImageError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        guard msg_png_writer_finish(writer, &out, &size, &message, message.count) == 0 else { throw failure(message) }
        if sinkBox != nil { return [] }
        guard let out else { throw .pngEncodingFailed(PNG.cString(message)) }
        defer { msg_png_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
