import ArgumentParser
import Foundation
import Testing
@testable import MSGCLI

/// Every numeric option takes a negative number written as the next argument
/// (`--psi -0.5`): accepted where valid, its range error where not (never
/// "Missing value" or "Unknown option"). Parsed as `msg-gen` parses argv
/// (NegativeNumbers.attach, then ArgumentParser, validate() included).
@Suite struct NegativeNumberTests {
    /// The error message parsing `args` gives, or nil when they parse.
    static func parseError(_ args: [String]) -> String? {
        do { _ = try MSGGenCommand.parseAsRoot(NegativeNumbers.attach(args)); return nil }
        catch { return MSGGenCommand.message(for: error) }
    }

    static func parsed<C: ParsableCommand>(_ args: [String], as: C.Type) throws -> C {
        let c = try MSGGenCommand.parseAsRoot(NegativeNumbers.attach(args))
        return try #require(c as? C)
    }

    @Test func validNegativeValuesAreAccepted() throws {
        #expect(try Self.parsed(["--psi", "-0.5"], as: RenderCommand.self).style.psi == -0.5)
        #expect(try Self.parsed(["--psi", "-.25", "--seed", "3"], as: RenderCommand.self).style.psi == -0.25)
        #expect(try Self.parsed(["--psi", "-1e1"], as: RenderCommand.self).style.psi == -10)
        #expect(try Self.parsed(["--psi", "-100"], as: RenderCommand.self).style.psi == -100)
        #expect(try Self.parsed(["mix", "--rows", "1", "--cols", "2", "--styles", "0-3", "--psi", "-0.7"], as: MixCommand.self).style.psi == -0.7)
        #expect(try Self.parsed(["render", "--psi=-0.5"], as: RenderCommand.self).style.psi == -0.5)
    }

    /// (arguments, the start of the expected message): one case per numeric option and subcommand.
    static let rangeErrors: [([String], String)] = [
        (["--seed", "-1"], "--seed must be a seed in 0 ... 4294967295, got -1"),
        (["--noise-seed", "-7", "--noise", "random"], "--noise-seed must be a seed in 0 ... 4294967295, got -7"),
        (["--psi", "-100.5"], "--psi must be a finite number in -100 ... 100"),
        (["--psi", "-inf"], "--psi must be a finite number in -100 ... 100"),
        (["--cutoff", "-1"], "--cutoff must be 0 or more"),
        (["--batch", "-8"], "--batch must be between 1 and 64, got -8"),
        (["--threads", "-2"], "--threads must be between 1 and 256, got -2"),
        (["mix", "--preset", "figure", "--psi", "-101"], "--psi must be a finite number in -100 ... 100"),
        (["mix", "--preset", "figure", "--cutoff", "-3"], "--cutoff must be 0 or more"),
        (["mix", "--preset", "figure", "--batch", "-1"], "--batch must be between 1 and 64, got -1"),
        (["mix", "--preset", "figure", "--threads", "-1"], "--threads must be between 1 and 256, got -1"),
        (["serve", "--port", "-1"], "--port must be 0 ... 65535"),
        (["serve", "--max-batch", "-1"], "--max-batch must be 1 ... 64"),
        (["serve", "--batch-wait-ms", "-0.5"], "--batch-wait-ms must be 0 ... 1000"),
        (["serve", "--max-queue", "-1"], "--max-queue must be 1 ... 100000"),
        (["serve", "--workers", "-1"], "--workers must be 1 ... 64"),
        (["serve", "--threads", "-1"], "--threads must be 1 ... 256"),
        (["serve", "--cache-mb", "-1"], "--cache-mb must be 0 ... 1000000"),
        (["bench", "--iterations", "-1"], "--iterations must be 1 ... 1000"),
        (["bench", "--threads", "-4"], "--threads must be 1 ... 256"),
        (["bench", "--batches", "-1"], "--batches must be 1 ... 64"),
        (["bench", "--batches", "1", "-8", "--iterations", "2"], "--batches must be 1 ... 64"),
    ]

    @Test(arguments: rangeErrors)
    func invalidNegativeValuesGiveTheRangeError(_ args: [String], _ expected: String) {
        let m = Self.parseError(args)
        #expect(m?.contains(expected) == true, "\(args): \(m ?? "parsed")")
        #expect(m?.contains("Missing value") != true && m?.contains("Unknown option") != true)
    }

    /// Values checked when the command runs (seed lists, grid size, scale): the same.
    @Test func valuesCheckedAtRunTimeNameTheirRange() throws {
        let grid = try Self.parsed(["--grid", "-2"], as: RenderCommand.self)
        #expect(grid.grid == -2)
        #expect(throws: CLIError.badSeeds("--grid must be between 1 and 1024, got -2")) { try SeedList.range(start: grid.seed, count: grid.grid) }
        let seeds = try Self.parsed(["--seeds", "-3"], as: RenderCommand.self)
        #expect(throws: CLIError.badSeeds("--seeds: '-3' is not a seed or a range like 10-19 (seeds are 0 ... 4294967295)")) {
            try SeedList.parse(seeds.seeds!)
        }
        for option in ["--rows", "--cols"] {
            // Through the command: the error names the option.
            do {
                try runCLI(["mix", "--weights", fixture("stylegan-32"), option, "-5", "--preset", "figure"])
                Issue.record("\(option) -5 rendered")
            } catch {
                #expect("\(error)" == "\(option): '-5' is not a seed or a range like 10-19 (seeds are 0 ... 4294967295)")
            }
        }
        let scale = Self.parseError(["--scales", "-32"])
        #expect(scale?.contains("'-32' is invalid for '--scales") == true, "\(scale ?? "parsed")")
    }

    @Test func listOptionsKeepTheirOtherValues() throws {
        #expect(NegativeNumbers.attach(["bench", "--batches", "1", "-8", "4"]) == ["bench", "--batches", "1", "--batches=-8", "4"])
        #expect(NegativeNumbers.attach(["bench", "--batches", "-1", "8"]) == ["bench", "--batches=-1", "8"])
        #expect(NegativeNumbers.attach(["--psi", "-0.5"]) == ["--psi", "-0.5"])
        #expect(NegativeNumbers.attach(["bench", "--batches", "1", "--", "-8"]) == ["bench", "--batches", "1", "--", "-8"])
        #expect(try Self.parsed(["bench", "--batches", "1", "8"], as: BenchCommand.self).batches == [1, 8])
        for s in ["-1", "-0.5", "-.5", "-1e3", "-inf", "-NaN"] { #expect(NegativeNumbers.isNegativeNumber(s), "\(s)") }
        for s in ["-h", "--psi", "-", "-e", "-1x", "5"] { #expect(!NegativeNumbers.isNegativeNumber(s), "\(s)") }
    }
}
