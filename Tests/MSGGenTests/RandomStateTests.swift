import Foundation
import Testing
@testable import MSGGen

/// Pins RandomState to numpy's legacy RandomState, bit for bit, with arrays
/// written by tools/make_rng_fixtures.py.
struct RandomStateTests {
    static let seeds: [UInt32] = [0, 1, 42, 123_456_789, 4_294_967_295]

    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/rng")

    static func load<T: FixedWidthInteger>(_ name: String, as _: T.Type) throws -> [T] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        #expect(data.count % MemoryLayout<T>.size == 0)
        return data.withUnsafeBytes { raw in
            (0..<(data.count / MemoryLayout<T>.size)).map {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))
            }
        }
    }

    static func loadDoubles(_ name: String) throws -> [Double] {
        try load(name, as: UInt64.self).map(Double.init(bitPattern:))
    }

    /// Index of the first element whose bits differ, or nil.
    static func firstMismatch(_ got: [Double], _ want: [Double]) -> Int? {
        if got.count != want.count { return min(got.count, want.count) }
        return got.indices.first { got[$0].bitPattern != want[$0].bitPattern }
    }

    @Test("raw MT19937 stream after RandomState(seed)", arguments: seeds)
    func rawStream(seed: UInt32) throws {
        let want = try Self.load("seed\(seed)_uint32.bin", as: UInt32.self)
        #expect(want.count == 2000)
        var rs = RandomState(seed: seed)
        let got = (0..<want.count).map { _ in rs.nextUInt32() }
        #expect(got == want)
    }

    @Test("random_sample(1000)", arguments: seeds)
    func randomSample(seed: UInt32) throws {
        let want = try Self.loadDoubles("seed\(seed)_random_sample.bin")
        #expect(want.count == 1000)
        var rs = RandomState(seed: seed)
        let got = (0..<want.count).map { _ in rs.randomDouble() }
        #expect(Self.firstMismatch(got, want) == nil)
    }

    @Test("randn(2000)", arguments: seeds)
    func randn(seed: UInt32) throws {
        let want = try Self.loadDoubles("seed\(seed)_randn.bin")
        #expect(want.count == 2000)
        var rs = RandomState(seed: seed)
        #expect(Self.firstMismatch(rs.randn(2000), want) == nil)
    }

    @Test("RandomState([7, 42]).randn(1000): init_by_array")
    func keyInit() throws {
        let want = try Self.loadDoubles("key_7_42_randn.bin")
        var rs = RandomState(key: [7, 42])
        #expect(Self.firstMismatch(rs.randn(1000), want) == nil)
    }

    @Test("the cached Gaussian carries over between calls, random_sample leaves it alone")
    func interleaved() throws {
        let want = try Self.loadDoubles("seed42_interleaved.bin")
        var rs = RandomState(seed: 42)
        var got = rs.randn(3)
        got += rs.randn(4)
        got += [rs.randomDouble(), rs.randomDouble()]
        got += rs.randn(1)
        got += rs.randn(1)
        got += rs.randn(5)
        #expect(Self.firstMismatch(got, want) == nil)
    }

    @Test("published values: RandomState(0).randn(1), RandomState(42).randn(1), MT19937(5489)")
    func publishedValues() {
        var zero = RandomState(seed: 0)
        #expect(zero.gauss().bitPattern == Double(hexString: "0x1.c398ef3e5cfa5p+0").bitPattern)
        var fortyTwo = RandomState(seed: 42)
        #expect(fortyTwo.gauss().bitPattern == Double(hexString: "0x1.fca2a28a9307cp-2").bitPattern)
        var reference = RandomState(seed: 5489)
        #expect(reference.nextUInt32() == 3_499_211_612)
        var empty = RandomState(seed: 0)
        #expect(empty.randn(0).isEmpty)
    }
}

private extension Double {
    init(hexString: String) {
        self = Double(hexString)!
    }
}
