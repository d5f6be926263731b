/// Seed selections: `--seed S --grid N` (seeds S ... S+N-1, NVIDIA's one-seed-
/// per-cell convention) or `--seeds 1,5,10-19`.
public enum SeedList {
    /// Most images one command renders (grids and seed lists alike).
    public static let maxCount = 1024
    /// Most seeds of a render into one file per seed (nothing is held in
    /// memory per seed but the list itself: 4 MiB).
    public static let maxFileCount = 1 << 20

    public static func range(start: UInt32, count: Int, limit: Int = maxCount) throws(CLIError) -> [UInt32] {
        guard count >= 1 && count <= limit else {
            throw .badSeeds("--grid must be between 1 and \(limit), got \(count)")
        }
        let last = UInt64(start) + UInt64(count) - 1
        guard last <= UInt64(UInt32.max) else {
            throw .badSeeds("seeds \(start) ... \(last) run past 4294967295 (seeds are 0 ... 2^32-1)")
        }
        return (0..<count).map { start + UInt32($0) }
    }

    /// "1,5,10-19" -> [1, 5, 10, 11, ..., 19]; order kept, duplicates allowed.
    /// `option` names the flag in errors (`--seeds`, or mix's `--rows` / `--cols`); `limit` caps the count
    /// (`maxCount` for one picture, `maxFileCount` for per-seed files).
    public static func parse(_ text: String, option: String = "--seeds", limit: Int = maxCount) throws(CLIError) -> [UInt32] {
        var seeds: [UInt32] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.trimmingCharacters(in: " ")
            let bounds = p.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard !p.isEmpty, bounds.allSatisfy({ !$0.isEmpty }) else {
                throw .badSeeds("\(option): '\(p)' is not a seed or a range like 10-19 (seeds are 0 ... 4294967295)")
            }
            let lo = try seed(bounds[0], option), hi = bounds.count == 2 ? try seed(bounds[1], option) : lo
            guard lo <= hi else { throw .badSeeds("\(option): range \(p) runs backwards") }
            guard UInt64(hi - lo) + 1 + UInt64(seeds.count) <= UInt64(limit) else {
                throw .badSeeds("\(option): more than \(limit) seeds")
            }
            seeds.append(contentsOf: lo...hi)
        }
        return seeds
    }

    /// One seed option's value (`--seed`, `--noise-seed`): 0 ... 4294967295,
    /// else an error naming the option and the range (negative numbers included).
    public static func seed(option: String, _ text: String) throws(CLIError) -> UInt32 {
        let t = Substring(text)
        guard !t.isEmpty, t.allSatisfy(\.isASCII), t.allSatisfy(\.isNumber), let v = UInt64(t), v <= UInt64(UInt32.max) else {
            throw .badSeeds("\(option) must be a seed in 0 ... 4294967295, got \(text)")
        }
        return UInt32(v)
    }

    private static func seed(_ s: Substring, _ option: String) throws(CLIError) -> UInt32 {
        guard s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), let v = UInt64(s), v <= UInt64(UInt32.max) else {
            throw .badSeeds("\(option): '\(s)' is not a seed in 0 ... 4294967295")
        }
        return UInt32(v)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
