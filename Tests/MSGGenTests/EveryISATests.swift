import Foundation
import Testing
import MSGKernels

/// The layer twin tests and the golden tests under every kernel path this
/// machine runs besides the one this process uses (KernelISA.active is read
/// once per process, so each path gets its own process: this test binary
/// again, with MSG_GEN_ISA set and a filter; nothing shared is mutated).
/// Each path adds about a minute on 2 cores, so this runs when
/// MSG_GEN_TEST_EVERY_ISA=1 (CI sets it); the per-kernel twins of every path
/// run always (MSGKernelsTests/KernelISATests).
@Suite struct EveryISATests {
    static let suites = "convLayerMatchesSlowTwin|styleEpilogueMatchesSlowTwin|blurMatchesSlowTwin|pixelNormPassMatchesSlowTwin|"
        + "ProGANGoldenTests|StyleGANGoldenTests|ConvPathTests"
    static let enabled = ProcessInfo.processInfo.environment["MSG_GEN_TEST_EVERY_ISA"] == "1"
        && ProcessInfo.processInfo.environment["MSG_GEN_ISA_RERUN"] == nil

    @Test(.enabled(if: enabled), arguments: KernelISA.supported.filter { $0 != KernelISA.active })
    func layerAndGoldenTestsPassOnPath(_ isa: KernelISA) throws {
        #if os(Linux)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        p.arguments = ["--testing-library", "swift-testing", "--filter", Self.suites]
        var env = ProcessInfo.processInfo.environment
        env["MSG_GEN_ISA"] = isa.name
        env["MSG_GEN_ISA_RERUN"] = "1"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let summary = text.split(separator: "\n").last { $0.contains("Test run with") } ?? "no summary"
        print("MSG_GEN_ISA=\(isa.name): \(summary)")
        #expect(p.terminationStatus == 0, "MSG_GEN_ISA=\(isa.name) failed:\n\(text.suffix(6000))")
        #expect(text.contains("ProGANGoldenTests") && text.contains("convLayerMatchesSlowTwin") && text.contains("styleEpilogueMatchesSlowTwin"),
                "filter ran nothing")
        #endif
    }
}
