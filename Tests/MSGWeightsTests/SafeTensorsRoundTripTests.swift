import Foundation
import Testing
@testable import MSGWeights

// MARK: - Writer -> reader, mmap, truncation, mutation

@Suite struct SafeTensorsRoundTripTests {
    let entries: [SafeTensorsWriter.Entry] = [
        .init(name: "a/f32", shape: [2, 3], floats: [1, -2, 0.5, .infinity, -0.0, 3.25]),
        .init(name: "b \"quoted\"\n", shape: [3], floatsAsF16: [1, 65504, 1e-7]),
        .init(name: "c.bf16", dtype: .bf16, shape: [2], bytes: [0x80, 0x3F, 0xC0, 0xFF]), // 1, NaN
        .init(name: "d.scalar", shape: [], floats: [7]),
        .init(name: "e.empty", shape: [0, 4], floats: []),
    ]

    @Test func roundTrip() throws {
        let meta = ["msg-gen.name": "tiny", "free text": "ünïcode \"and\" \\ slashes"]
        let bytes = SafeTensorsWriter.encode(entries, metadata: meta)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(headerLength % 8 == 0)
        #expect(bytes.count == 8 + headerLength + 24 + 6 + 4 + 4)

        let file = try SafeTensorsFile(bytes: bytes, source: src)
        #expect(file.metadata == meta)
        #expect(file.names == entries.map(\.name))
        #expect(file.tensors["a/f32"] == TensorInfo(name: "a/f32", dtype: .f32, shape: [2, 3], byteRange: 0..<24))
        #expect(file.tensors["a/f32"]?.elementCount == 6)

        let a = try file.floats("a/f32")
        #expect(a.map(\.bitPattern) == [1, -2, 0.5, .infinity, -0.0, 3.25].map { Float($0).bitPattern })
        let b = try file.floats("b \"quoted\"\n")
        #expect(b[0] == 1 && b[1] == 65504)
        #expect(b[2] == Float(bitPattern: 0x3400_0000)) // 1e-7 = 1.68 * 2^-24 -> F16 subnormal 0x0002 = 2^-23
        let c = try file.floats("c.bf16")
        #expect(c[0] == 1 && c[1].isNaN)
        #expect(try file.floats("d.scalar") == [7])
        #expect(try file.floats("e.empty") == [])
        for e in entries {
            let raw = try file.withRawBytes(e.name) { Array($0) }
            #expect(raw == e.bytes)
        }
    }

    @Test func noMetadataNoTensors() throws {
        let bytes = SafeTensorsWriter.encode([], metadata: [:])
        let file = try SafeTensorsFile(bytes: bytes, source: src)
        #expect(file.tensors.isEmpty && file.metadata.isEmpty)
    }

    // MARK: mmap

    @Test func mappedFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("msgweights-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = SafeTensorsWriter.encode(entries, metadata: ["k": "v"])
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let file = try SafeTensorsFile(path: path)
        #expect(file.source == path)
        #expect(file.metadata == ["k": "v"])
        #expect(try file.floats("a/f32") == (try SafeTensorsFile(bytes: bytes, source: src).floats("a/f32")))

        try Data(bytes.prefix(20)).write(to: URL(fileURLWithPath: path))
        #expect(throws: WeightsError.self) { try SafeTensorsFile(path: path) }
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(throws: WeightsError.truncated(file: path, size: 0)) { try SafeTensorsFile(path: path) }
    }

    @Test func unopenable() {
        let missing = "/nonexistent/dir/x.safetensors"
        guard case .cannotOpen(missing, _)? = error(path: missing) else {
            Issue.record("missing file not reported"); return
        }
        let dir = FileManager.default.temporaryDirectory.path
        guard case .cannotOpen(dir, let reason)? = error(path: dir) else { Issue.record("directory not refused"); return }
        #expect(reason.hasPrefix("not a regular file (a directory)"))
    }

    func error(path: String) -> WeightsError? {
        do { _ = try SafeTensorsFile(path: path); return nil } catch { return error }
    }

    // MARK: Hostile bytes

    /// Every strict prefix of a valid file is an error, never a crash.
    @Test func truncatedAtEveryByte() throws {
        let bytes = SafeTensorsWriter.encode(Array(entries.prefix(3)), metadata: ["k": "v"])
        _ = try SafeTensorsFile(bytes: bytes, source: src)
        for n in 0..<bytes.count {
            #expect(loadError(Array(bytes.prefix(n))) != nil, "prefix of \(n) bytes loaded")
        }
    }

    /// Random byte flips in a valid model file: each either loads or throws, never traps.
    @Test func mutatedBytesNeverTrap() {
        let bytes = modelBytes(.proGAN(ProGANConfig(depth: 1, latentSize: 2)))
        var state: UInt64 = 42
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let alphabet = Array("{}[]\",:0129-.e\\ ".utf8)
        let headerEnd = 8 + (Int(bytes[0]) | Int(bytes[1]) << 8)
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<(1 + next() % 3) {
                let i = next() % headerEnd
                mutated[i] = next() % 4 == 0 ? UInt8(truncatingIfNeeded: next()) : alphabet[next() % alphabet.count]
            }
            _ = modelError(mutated)
        }
    }
}
