#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// NumPy's legacy `numpy.random.RandomState`, bit for bit: MT19937 seeded as
/// `RandomState(int)` / `RandomState([k0, k1, ...])` do, `random_sample`'s
/// 53-bit doubles and the polar-method Gaussian that keeps its second value
/// for the next call (SEMANTICS.md: "Seeds and latents").
///
/// Mirrors numpy/random/src/mt19937/mt19937.c and legacy-distributions.c.
public struct RandomState: Sendable {
    private static let stateLength = 624
    private static let period = 397

    private var key: [UInt32]
    private var pos: Int
    private var hasGauss = false
    private var cachedGauss = 0.0

    /// `numpy.random.RandomState(seed)`: MT19937 `init_genrand`.
    public init(seed: UInt32) {
        key = RandomState.initGenrand(seed)
        pos = RandomState.stateLength
    }

    /// `numpy.random.RandomState([k0, k1, ...])`: MT19937 `init_by_array`.
    /// - Precondition: `key` is not empty (numpy raises "Seed must be non-empty").
    public init(key initKey: [UInt32]) {
        precondition(!initKey.isEmpty, "RandomState(key:) needs a non-empty key")
        let n = RandomState.stateLength
        var mt = RandomState.initGenrand(19_650_218)
        var i = 1
        var j = 0
        for _ in 0..<max(n, initKey.count) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30)
            mt[i] = (mt[i] ^ (prev &* 1_664_525)) &+ initKey[j] &+ UInt32(truncatingIfNeeded: j)
            i += 1
            j += 1
            if i >= n { mt[0] = mt[n - 1]; i = 1 }
            if j >= initKey.count { j = 0 }
        }
        for _ in 0..<(n - 1) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30)
            mt[i] = (mt[i] ^ (prev &* 1_566_083_941)) &- UInt32(truncatingIfNeeded: i)
            i += 1
            if i >= n { mt[0] = mt[n - 1]; i = 1 }
        }
        mt[0] = 0x8000_0000
        key = mt
        pos = n
    }

    private static func initGenrand(_ seed: UInt32) -> [UInt32] {
        var mt = [UInt32](repeating: 0, count: stateLength)
        var s = seed
        for i in 0..<stateLength {
            mt[i] = s
            s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(i + 1)
        }
        return mt
    }

    // MARK: - Raw stream

    public mutating func nextUInt32() -> UInt32 {
        if pos >= RandomState.stateLength { regenerate() }
        var y = key[pos]
        pos += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func regenerate() {
        let n = RandomState.stateLength
        let m = RandomState.period
        key.withUnsafeMutableBufferPointer { mt in
            for i in 0..<n {
                let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % n] & 0x7FFF_FFFF)
                mt[i] = mt[(i + m) % n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
            }
        }
        pos = 0
    }

    // MARK: - Distributions

    /// Legacy `random_sample`: a 53-bit double in [0, 1).
    public mutating func randomDouble() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// Legacy `gauss`: the polar method; each accepted pair yields two values,
    /// the second kept for the next call (also across `randn` calls).
    public mutating func gauss() -> Double {
        if hasGauss {
            hasGauss = false
            let value = cachedGauss
            cachedGauss = 0
            return value
        }
        var x1: Double
        var x2: Double
        var r2: Double
        repeat {
            x1 = 2.0 * randomDouble() - 1.0
            x2 = 2.0 * randomDouble() - 1.0
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1.0 || r2 == 0.0
        let f = (-2.0 * log(r2) / r2).squareRoot()
        cachedGauss = f * x1
        hasGauss = true
        return f * x2
    }

    /// `RandomState.randn(count)`: `count` draws of `gauss()` in order.
    public mutating func randn(_ count: Int) -> [Double] {
        precondition(count >= 0, "randn count must be non-negative, got \(count)")
        var out = [Double]()
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(gauss()) }
        return out
    }
}
