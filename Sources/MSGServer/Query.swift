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

    /// Parses a raw query (`request.uri.query`) the way a form submits it
    /// (WHATWG application/x-www-form-urlencoded, which is what browsers and
    /// `URLSearchParams` send): `&`-separated, empty components skipped, names
    /// and values percent-decoded (any hex case), `+` a space. So `seed=%34%32`,
    /// `?seed=42&` and `?&seed=42` all mean seed 42.
    init(raw query: String?, allowed: Set<String>) throws(ServerError) {
        var pairs: [(key: Substring, value: Substring)] = []
        for part in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = Self.formDecode(kv[0]), let value = Self.formDecode(kv.count == 2 ? kv[1] : "") else {
                throw .badParameter(Self.clip(String(kv[0])), "malformed percent-encoding in '\(Self.clip(String(part)))'")
            }
            pairs.append((key[...], value[...]))
        }
        try self.init(pairs, allowed: allowed)
    }

    /// `+` -> space, `%XX` -> the byte; nil for a bad escape or bytes that are not UTF-8.
    static func formDecode(_ s: Substring) -> String? {
        guard s.contains(where: { $0 == "%" || $0 == "+" }) else { return String(s) }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            switch b {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard it.count >= 2, let hi = hexValue(it.popFirst()!), let lo = hexValue(it.popFirst()!) else { return nil }
                bytes.append(hi << 4 | lo)
            default: bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
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
