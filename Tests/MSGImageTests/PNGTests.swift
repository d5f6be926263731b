import Testing
@testable import MSGImage

struct PNGTests {
    static func gradient(width: Int, height: Int) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x & 255), UInt8(y & 255), UInt8((x * y) & 255)] }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test("encode -> decode gives the same pixels and text", arguments: [(1, 1, 6), (7, 3, 0), (64, 33, 9), (300, 2, 1)])
    func roundTrip(width: Int, height: Int, level: Int) throws {
        let image = Self.gradient(width: width, height: height)
        let text = [(key: "Software", value: "msg-gen"), (key: "seed", value: "42"),
                    (key: "Comment", value: "line 1\nline 2 caf\u{E9}"), (key: "prompt", value: "猫 → 🐈")]
        let png = try PNG.encode(image, text: text, compressionLevel: level)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let (decoded, decodedText) = try PNG.decode(png)
        #expect(decoded == image)
        #expect(decodedText == ["Software": "msg-gen", "seed": "42", "Comment": "line 1\nline 2 caf\u{E9}", "prompt": "猫 → 🐈"])
    }

    @Test("Latin-1 values are tEXt chunks, others iTXt")
    func chunkKinds() throws {
        let png = try PNG.encode(Self.gradient(width: 2, height: 2), text: [("a", "caf\u{E9}"), ("b", "→")])
        let kinds = Self.chunkTypes(png)
        #expect(kinds.filter { $0 == "tEXt" }.count == 1)
        #expect(kinds.filter { $0 == "iTXt" }.count == 1)
        #expect(kinds.first == "IHDR" && kinds.last == "IEND")
    }

    @Test("higher compression is not larger on a smooth image")
    func compressionLevels() throws {
        let image = Self.gradient(width: 128, height: 128)
        let stored = try PNG.encode(image, compressionLevel: 0)
        let best = try PNG.encode(image, compressionLevel: 9)
        #expect(best.count < stored.count)
        #expect(stored.count > 128 * 128 * 3)
    }

    @Test("decodes a PNG written without libpng, with tEXt, zTXt and iTXt")
    func decodesIndependentWriter() throws {
        let (image, text) = try PNG.decode(try Fixtures.bytes("png_rgb_2x2_text.png"))
        #expect(image == RGBImage(width: 2, height: 2, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]))
        #expect(text == ["seed": "42", "Comment": "caf\u{E9}", "model": "msg-stylegan 256", "prompt": "\u{732B} \u{2192} \u{1F408}"])
    }

    @Test("invalid keywords are refused with the reason", arguments: [
        ("", "1 to 79"), (String(repeating: "k", count: 80), "1 to 79"), (" seed", "start or end"),
        ("seed ", "start or end"), ("a  b", "consecutive"), ("tab\tkey", "printable"), ("clé→", "printable"),
        ("nul\0", "printable"),
    ])
    func invalidKeys(key: String, reason: String) throws {
        do {
            _ = try PNG.encode(Self.gradient(width: 1, height: 1), text: [(key, "v")])
            Issue.record("keyword \(key.debugDescription) was accepted")
        } catch {
            guard case .invalidTextKey(let badKey, let why) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(badKey == key)
            #expect(why.contains(reason), "\(error.description)")
            #expect(error.description.contains("keyword"))
        }
    }

    @Test("the longest and Latin-1 keywords are accepted")
    func validKeys() throws {
        let keys = [String(repeating: "k", count: 79), "a b", "Clé ¡ÿ", "~!"]
        let png = try PNG.encode(Self.gradient(width: 1, height: 1), text: keys.map { ($0, "v") })
        #expect(try PNG.decode(png).text == Dictionary(uniqueKeysWithValues: keys.map { ($0, "v") }))
    }

    @Test func nulInValue() {
        #expect(throws: ImageError.invalidTextValue(key: "k", reason: "contains a NUL character")) {
            try PNG.encode(Self.gradient(width: 1, height: 1), text: [("k", "a\0b")])
        }
    }

    @Test func badArguments() {
        #expect(throws: ImageError.invalidCompressionLevel(10)) { try PNG.encode(Self.gradient(width: 1, height: 1), compressionLevel: 10) }
        #expect(throws: ImageError.invalidCompressionLevel(-1)) { try PNG.encode(Self.gradient(width: 1, height: 1), compressionLevel: -1) }
        #expect(throws: ImageError.invalidImageSize(width: 0, height: 3)) { try PNG.encode(RGBImage(width: 0, height: 3, pixels: [])) }
    }

    @Test("decode refuses what it cannot read, naming why", arguments: [
        ("png_gray_2x2.png", "color type 0"), ("png_rgba_1x1.png", "color type 6"), ("png_rgb16_1x1.png", "bit depth 16"),
    ])
    func unsupported(file: String, detail: String) throws {
        let bytes = try Fixtures.bytes(file)
        do {
            _ = try PNG.decode(bytes)
            Issue.record("\(file) decoded")
        } catch {
            guard case .pngDecodingFailed(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("unsupported") && message.contains(detail), "\(message)")
        }
    }

    @Test("decode refuses garbage, truncation and corruption")
    func corrupt() throws {
        let png = try PNG.encode(Self.gradient(width: 16, height: 16), text: [("k", "v")])
        #expect(throws: ImageError.pngDecodingFailed("not a PNG (bad signature)")) { try PNG.decode([1, 2, 3]) }
        #expect(throws: ImageError.pngDecodingFailed("not a PNG (bad signature)")) { try PNG.decode([]) }
        for cut in [9, 20, 40, png.count - 13] {
            #expect(throws: ImageError.self, "cut at \(cut)") { try PNG.decode(Array(png.prefix(cut))) }
        }
        var flipped = png
        flipped[20] ^= 0xFF  // inside IHDR: the CRC no longer matches
        #expect(throws: ImageError.self) { try PNG.decode(flipped) }
    }

    /// Chunk types in file order.
    static func chunkTypes(_ png: [UInt8]) -> [String] {
        var types: [String] = []
        var i = 8
        while i + 8 <= png.count {
            let length = Int(png[i]) << 24 | Int(png[i + 1]) << 16 | Int(png[i + 2]) << 8 | Int(png[i + 3])
            types.append(String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self))
            i += 12 + length
        }
        return types
    }
}
