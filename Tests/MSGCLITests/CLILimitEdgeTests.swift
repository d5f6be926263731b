import ArgumentParser
import Foundation
import Testing
@testable import MSGCLI

/// README "Command line" limits, at each edge: the value at the limit parses,
/// one past it is refused with a message naming the flag. Parsing and seed
/// expansion only: nothing is rendered. (`--grid` is checked when the seeds are
/// expanded: `seedCountEdges`.)
@Suite struct CLILimitEdgeTests {
    static func parses(_ args: [String]) -> String? {
        do { _ = try MSGGenCommand.parseAsRoot(args); return nil } catch { return MSGGenCommand.message(for: error) }
    }

    @Test(arguments: [
        ["--batch", "1"], ["--batch", "64"], ["--threads", "1"], ["--threads", "256"],
        ["--seed", "4294967295"], ["--seed", "0"],
        ["--psi", "100"], ["--psi=-100"], ["--cutoff", "0"], ["--noise", "random", "--noise-seed", "4294967295"],
        ["mix", "--rows", "1", "--cols", "2", "--styles", "coarse", "--batch", "64"],
    ])
    func valueAtTheLimitIsAccepted(_ args: [String]) {
        #expect(Self.parses(args) == nil, "\(args)")
    }

    @Test(arguments: [
        (["--batch", "0"], "--batch"), (["--batch", "65"], "--batch"),
        (["--threads", "0"], "--threads"), (["--threads", "257"], "--threads"),
        (["--seed", "4294967296"], "--seed"),
        (["--psi", "100.0000001"], "--psi"), (["--psi=-100.0000001"], "--psi"),
        (["--cutoff", "-1"], "--cutoff"),
        (["--noise", "random", "--noise-seed", "4294967296"], "--noise-seed"),
        (["mix", "--rows", "1", "--cols", "2", "--styles", "coarse", "--batch", "65"], "--batch"),
    ])
    func onePastTheLimitIsRefused(_ args: [String], _ flag: String) {
        let message = Self.parses(args)
        #expect(message?.contains(flag) == true, "\(args): \(message ?? "accepted")")
    }

    /// Grids and seed lists: at most 1024 seeds, the last seed 4294967295.
    @Test func seedCountEdges() throws {
        #expect(try SeedList.range(start: 0, count: 1024).count == 1024)
        #expect(throws: CLIError.self) { try SeedList.range(start: 0, count: 1025) }
        #expect(try SeedList.range(start: 4_294_967_295 - 1023, count: 1024).last == 4_294_967_295)
        #expect(throws: CLIError.self) { try SeedList.range(start: 4_294_967_295 - 1022, count: 1024) }
        #expect(try SeedList.parse("0-1023").count == 1024)
        #expect(try SeedList.parse("5,0-1022").count == 1024)
        #expect(throws: CLIError.self) { try SeedList.parse("5,0-1023") }
        #expect(try SeedList.parse("4294967295") == [4_294_967_295])
    }
}
