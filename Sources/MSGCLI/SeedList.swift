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
    public static func parse(_ text: String, limit: Int = maxCount) throws(CLIError) -> [UInt32] {
        var seeds: [UInt32] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.trimmingCharacters(in: " ")
            let bounds = p.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard !p.isEmpty, bounds.allSatisfy({ !$0.isEmpty }) else {
                throw .badSeeds("--seeds: '\(p)' is not a seed or a range like 10-19")
            }
            let lo = try seed(bounds[0]), hi = bounds.count == 2 ? try seed(bounds[1]) : lo
            guard lo <= hi else { throw .badSeeds("--seeds: range \(p) runs backwards") }
            guard UInt64(hi - lo) + 1 + UInt64(seeds.count) <= UInt64(limit) else {
                throw .badSeeds("--seeds: more than \(limit) seeds")
            }
            seeds.append(contentsOf: lo...hi)
        }
        return seeds
    }

    private static func seed(_ s: Substring) throws(CLIError) -> UInt32 {
        guard s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), let v = UInt64(s), v <= UInt64(UInt32.max) else {
            throw .badSeeds("--seeds: '\(s)' is not a seed in 0 ... 4294967295")
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
