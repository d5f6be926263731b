import ArgumentParser

/// `--shard K/N`: the K-th (0-based) of N disjoint, deterministic parts of a
/// seed list, for bulk renders split over processes or machines (a
/// Kubernetes Indexed Job passes `JOB_COMPLETION_INDEX` as K).
///
/// Part K holds the list positions `[K * count / N, (K + 1) * count / N)`:
/// contiguous, in order, sizes differing by at most one, and together the
/// parts cover every position exactly once. The split depends only on the
/// list's length and N, never on the machine, the batch or the thread count.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    /// Most parts a list may be split into.
    public static let maxCount = 1 << 20

    /// 0 ... count - 1.
    public let index: Int
    /// 1 ... `maxCount`.
    public let count: Int

    /// The whole list as one part.
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    public init(index: Int, count: Int) throws(CLIError) {
        guard (1...Self.maxCount).contains(count) else {
            throw .badShard("--shard: the number of parts N must be 1 ... \(Self.maxCount), got \(count)")
        }
        guard (0..<count).contains(index) else {
            throw .badShard("--shard: the part K must be 0 ... \(count - 1) (0-based, like JOB_COMPLETION_INDEX), got \(index)")
        }
        self.index = index
        self.count = count
    }

    private init(uncheckedIndex: Int, count: Int) {
        self.index = uncheckedIndex
        self.count = count
    }

    /// Parses "K/N", e.g. "0/4" ... "3/4".
    public init(parsing text: String) throws(CLIError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .badShard("--shard: '\(text)' is not K/N (part K of N, 0-based), e.g. 0/4")
        }
        guard let k = Self.number(parts[0]), let n = Self.number(parts[1]) else {
            throw .badShard("--shard: '\(text)' is not K/N with whole numbers K and N, e.g. 0/4")
        }
        try self.init(index: k, count: n)
    }

    /// Decimal digits only (no sign, spaces or exponent), without overflow.
    private static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.count <= 9, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(s)
    }

    /// The positions of `total` list entries this part holds.
    public func range(of total: Int) -> Range<Int> {
        precondition(total >= 0)
        // total <= SeedList.maxFileCount and count <= 2^20: the products stay far below Int.max.
        return (index * total / count)..<((index + 1) * total / count)
    }

    /// This part of `list`, in the list's order.
    public func part<T>(of list: [T]) -> [T] {
        Array(list[range(of: list.count)])
    }

    public var description: String { "\(index)/\(count)" }
}

/// Options of bulk renders into one file per seed (`--format png|npy --out DIR/`).
public struct BulkOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Render only part K of N (0-based) of the seed list: K/N, e.g. 0/4. Needs per-seed files (--out DIR/).",
        valueName: "K/N"))
    public var shard: String?

    @Flag(name: .customLong("skip-existing"), help: "Keep per-seed files that are already complete (decoded and checked against this render's model and options); render the rest again.")
    public var skipExisting = false

    public init() {}

    /// The parsed `--shard`, or the whole list. Parsed here rather than by
    /// ArgumentParser so a bad value gets the specific message.
    public func parsedShard() throws(CLIError) -> Shard {
        try shard.map { (s: String) throws(CLIError) in try Shard(parsing: s) } ?? .whole
    }

    /// Whether sharding or resuming was asked for (both need per-seed files).
    public var isRequested: Bool { shard != nil || skipExisting }
}
