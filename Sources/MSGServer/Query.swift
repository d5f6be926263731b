import Hummingbird

/// A request's query parameters, distrusted: unknown names, repeated names and
/// malformed or out-of-range values are 400s naming the parameter.
struct Query {
    private var values: [String: String] = [:]

    init<S: Sequence>(_ params: S, allowed: Set<String>) throws(ServerError) where S.Element == (key: Substring, value: Substring) {
        for (k, v) in params {
            let key = String(k)
            guard allowed.contains(key) else {
                let known = allowed.sorted().joined(separator: ", ")
                throw .badParameter(key.count > 40 ? String(key.prefix(40)) + "..." : key, "unknown parameter (this endpoint takes \(known))")
            }
            guard values[key] == nil else { throw .badParameter(key, "given more than once") }
            values[key] = String(v)
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func required(_ name: String) throws(ServerError) -> String {
        guard let v = values[name], !v.isEmpty else { throw .badParameter(name, "required") }
        return v
    }

    /// A seed: an integer 0 ... 4294967295.
    func seed(_ name: String) throws(ServerError) -> UInt32? {
        guard let v = values[name] else { return nil }
        guard v.utf8.count <= 10, v.allSatisfy(\.isASCIIDigit), let s = UInt32(v) else {
            throw .badParameter(name, "'\(Self.clip(v))' is not a seed (an integer 0 ... 4294967295)")
        }
        return s
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(ServerError) -> Int? {
        guard let v = values[name] else { return nil }
        guard v.utf8.count <= 12, let i = Int(v) else { throw .badParameter(name, "'\(Self.clip(v))' is not an integer") }
        guard range.contains(i) else { throw .badParameter(name, "\(i) is outside \(range.lowerBound) ... \(range.upperBound)") }
        return i
    }

    func double(_ name: String, in range: ClosedRange<Double>) throws(ServerError) -> Double? {
        guard let v = values[name] else { return nil }
        guard v.utf8.count <= 32, let d = Double(v), d.isFinite else { throw .badParameter(name, "'\(Self.clip(v))' is not a finite number") }
        guard range.contains(d) else { throw .badParameter(name, "\(v) is outside \(range.lowerBound) ... \(range.upperBound)") }
        return d
    }

    /// `1,5,10-12`: at most `limit` seeds, each 0 ... 2^32-1, ranges checked before expansion.
    func seedList(_ name: String, limit: Int, maxLength: Int) throws(ServerError) -> [UInt32] {
        let text = try required(name)
        guard text.utf8.count <= maxLength else { throw .badParameter(name, "longer than \(maxLength) characters") }
        var seeds: [UInt32] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let b = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            func seed(_ s: Substring) throws(ServerError) -> UInt32 {
                guard !s.isEmpty, s.utf8.count <= 10, s.allSatisfy(\.isASCIIDigit), let v = UInt32(s) else {
                    throw .badParameter(name, "'\(Self.clip(String(part)))' is not a seed or a range like 10-12 (seeds 0 ... 4294967295)")
                }
                return v
            }
            let lo = try seed(b[0]), hi = b.count == 2 ? try seed(b[1]) : lo
            guard lo <= hi else { throw .badParameter(name, "range \(lo)-\(hi) runs backwards") }
            guard UInt64(hi - lo) + 1 + UInt64(seeds.count) <= UInt64(limit) else {
                throw .badParameter(name, "more than \(limit) seeds")
            }
            seeds += Array(lo...hi)
        }
        return seeds
    }

    static func clip(_ s: String) -> String { s.count > 40 ? String(s.prefix(40)) + "..." : s }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
