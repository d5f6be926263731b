import Foundation
import Testing
@testable import MSGCLI
import MSGImage

/// `--shard K/N`: parsing, the split itself, and end-to-end bulk renders.
@Suite struct ShardTests {
    @Test(arguments: [("0/1", 0, 1), ("0/4", 0, 4), ("3/4", 3, 4), ("1048575/1048576", 1_048_575, 1_048_576)])
    func parsesKOfN(_ text: String, _ k: Int, _ n: Int) throws {
        let s = try Shard(parsing: text)
        #expect(s.index == k && s.count == n)
        #expect(s.description == text)
    }

    @Test(arguments: ["4/4", "5/4", "1/0", "0/0", "-1/4", "+1/4", "1/-4", "a/b", "1", "1/2/3", "", "/", "1/", "/2",
                      " 1/2", "1/2 ", "1.0/2", "0/1048577", "0/99999999999999999999", "１/２"])
    func refusesBadValues(_ text: String) {
        #expect(throws: CLIError.self) { try Shard(parsing: text) }
        do { _ = try Shard(parsing: text) } catch {
            guard case .badShard(let message) = error else { Issue.record("not badShard: \(error)"); return }
            #expect(message.hasPrefix("--shard"))
        }
    }

    @Test func outOfRangeMessagesSayWhatIsAllowed() {
        #expect(throws: CLIError.badShard("--shard: the part K must be 0 ... 3 (0-based, like JOB_COMPLETION_INDEX), got 4")) {
            try Shard(parsing: "4/4")
        }
        #expect(throws: CLIError.badShard("--shard: the number of parts N must be 1 ... 1048576, got 0")) {
            try Shard(parsing: "0/0")
        }
    }

    /// Concatenating the parts in order gives the list back: every position
    /// exactly once (disjoint and complete), parts differing in size by at most one.
    @Test func partsAreDisjointAndCoverTheList() throws {
        for total in 0...40 {
            let list = Array(0..<total)
            for n in 1...9 {
                let parts = try (0..<n).map { try Shard(index: $0, count: n).part(of: list) }
                #expect(parts.flatMap { $0 } == list, "total \(total), n \(n)")
                let sizes = parts.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "total \(total), n \(n): sizes \(sizes)")
            }
        }
    }

    @Test func aLargeListSplitsWithoutOverflow() throws {
        let s = try Shard(index: 1_048_575, count: 1_048_576)
        #expect(s.range(of: SeedList.maxFileCount) == (SeedList.maxFileCount - 1)..<SeedList.maxFileCount)
        #expect(try Shard(index: 0, count: 3).range(of: 50_000) == 0..<16_666)
        #expect(try Shard(index: 2, count: 3).range(of: 50_000) == 33_333..<50_000)
    }
}

/// Bulk renders into one file per seed, end to end through the command line.
@Suite struct BulkRenderTests {
    let weights = fixture("stylegan-32")

    /// Every regular file of `dir` (not the hidden temporaries) with its bytes.
    func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    @Test(arguments: [["--format", "png"], ["--format", "npy", "--scales", "all"], ["--format", "png", "--scales", "all"]])
    func unionOfShardsEqualsTheUnshardedRunBitForBit(_ format: [String]) throws {
        try inTemporaryDirectory { dir in
            let base = ["--weights", weights, "--seeds", "9,0-8,4294967295", "--threads", "1", "--quiet"] + format
            try runCLI(base + ["--out", dir + "/whole/", "--batch", "4"])
            let whole = try files(dir + "/whole")
            #expect(whole.count == 11 * (format.contains("all") && format.contains("npy") ? 4 : 1))

            var union: [String: Data] = [:]
            for k in 0..<5 {
                let out = "\(dir)/shard\(k)/"
                try runCLI(base + ["--out", out, "--shard", "\(k)/5", "--batch", "3"])
                let part = try files(out)
                #expect(Set(part.keys).isDisjoint(with: union.keys), "shard \(k) overlaps an earlier one")
                union.merge(part) { a, _ in a }
            }
            #expect(union == whole)
        }
    }

    @Test func aPerSeedPNGIsTheSingleSeedPicture() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["--weights", weights, "--seeds", "3-5", "--psi", "0.5", "--out", dir + "/set/", "--quiet"])
            try runCLI(["--weights", weights, "--seed", "4", "--psi", "0.5", "--out", dir + "/one.png", "--quiet"])
            let one = try Data(contentsOf: URL(fileURLWithPath: dir + "/one.png"))
            #expect(try files(dir + "/set")["seed4.png"] == one)
            #expect(try files(dir + "/set").keys.sorted() == ["seed3.png", "seed4.png", "seed5.png"])
        }
    }

    @Test func anExistingDirectoryWithoutSlashIsPerSeedOutput() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["--weights", weights, "--seeds", "1,2", "--out", dir, "--quiet"])
            #expect(try files(dir).keys.sorted() == ["seed1.png", "seed2.png"])
        }
    }

    /// Complete files stay (same inode: not rewritten); a truncated PNG, a PNG
    /// with a flipped byte, an empty file, a PNG rendered with other options and
    /// a short npy are all rendered again, and end equal to a fresh render.
    @Test func skipExistingKeepsCompleteFilesAndRedoesDamagedOnes() throws {
        try inTemporaryDirectory { dir in
            let args = ["--weights", weights, "--seeds", "0-5", "--out", dir + "/out/", "--quiet", "--threads", "1"]
            try runCLI(args)
            let reference = try files(dir + "/out")
            let path = { (name: String) in "\(dir)/out/\(name)" }

            let png0 = reference["seed0.png"]!
            try png0.prefix(png0.count - 20).write(to: URL(fileURLWithPath: path("seed0.png")))   // cut short
            var flipped = reference["seed1.png"]!
            flipped[flipped.count / 2] ^= 0x40                                                     // a bit flipped in the middle
            try flipped.write(to: URL(fileURLWithPath: path("seed1.png")))
            try Data().write(to: URL(fileURLWithPath: path("seed2.png")))                          // empty
            try FileManager.default.removeItem(atPath: path("seed3.png"))                           // missing
            try runCLI(["--weights", weights, "--seed", "4", "--psi", "0.3", "--out", path("seed4.png"), "--quiet"])  // other options
            let inode5 = try inode(path("seed5.png"))

            try runCLI(args + ["--skip-existing"])
            #expect(try files(dir + "/out") == reference)
            #expect(try inode(path("seed5.png")) == inode5, "a complete file was rewritten")

            // npy: a file one float short is rendered again; complete ones are kept.
            let npyArgs = ["--weights", weights, "--seeds", "0-1", "--format", "npy", "--out", dir + "/raw", "--quiet"]
            try runCLI(npyArgs)
            let npyReference = try files(dir + "/raw")
            let short = npyReference["seed0-32x32.npy"]!
            try short.prefix(short.count - 4).write(to: URL(fileURLWithPath: dir + "/raw/seed0-32x32.npy"))
            let kept = try inode(dir + "/raw/seed1-32x32.npy")
            try runCLI(npyArgs + ["--skip-existing"])
            #expect(try files(dir + "/raw") == npyReference)
            #expect(try inode(dir + "/raw/seed1-32x32.npy") == kept)
        }
    }

    @Test func moreSeedsThanAGridHoldsArePracticalAsFiles() throws {
        try inTemporaryDirectory { dir in
            // 2000 seeds, part 19 of 20: 100 files, seeds 1900 ... 1999.
            try runCLI(["--weights", fixture("progan-d1-l8"), "--seeds", "0-1999", "--shard", "19/20",
                        "--out", dir + "/", "--quiet", "--batch", "16"])
            let names = try files(dir).keys
            #expect(names.count == 100)
            #expect(Set(names) == Set((1900...1999).map { "seed\($0).png" }))
        }
    }

    @Test func badUsesAreRefusedClearlyAndWriteNothing() throws {
        try inTemporaryDirectory { dir in
            func message(_ args: [String]) -> String {
                do { try runCLI(["--weights", weights, "--quiet"] + args); return "" } catch {
                    return MSGGenCommand.message(for: error)
                }
            }
            #expect(message(["--seeds", "0-9", "--shard", "10/10", "--out", dir + "/a/"]).contains("0 ... 9"))
            #expect(message(["--seeds", "0-9", "--shard", "1of2", "--out", dir + "/a/"]).contains("K/N"))
            // One picture (a grid) cannot be split or resumed.
            #expect(message(["--seeds", "0-9", "--shard", "0/2", "--out", dir + "/g.png"]).contains("one file per seed"))
            #expect(message(["--seeds", "0-9", "--skip-existing", "--out", dir + "/g.png"]).contains("one file per seed"))
            // A grid keeps its limit; per-seed files have theirs.
            #expect(message(["--seeds", "0-1999", "--out", dir + "/g.png"]).contains("more than 1024"))
            #expect(message(["--seeds", "0-1048576", "--out", dir + "/a/"]).contains("more than 1048576"))
            let left = try FileManager.default.contentsOfDirectory(atPath: dir)
            #expect(left.isEmpty, "a refused command wrote \(left)")
        }
    }

    private func inode(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }
}
