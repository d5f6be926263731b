import Foundation
import Testing
@testable import MSGCLI
import MSGWeights

func upstreamFixture(_ name: String) -> String { fixtures.appendingPathComponent("upstream/\(name)").path }

@Suite struct ConvertCommandTests {
    @Test(arguments: ["GAN_GEN_3.pth", "GAN_GEN_1-dataparallel.pth", "stylegan-32.pkl"])
    func convertWritesWhatTheImporterMakes(_ file: String) throws {
        try inTemporaryDirectory { dir in
            let out = dir + "/m.safetensors"
            try runCLI(["convert", upstreamFixture(file), out, "--name", "faces", "--dataset", "d", "--license", "CC0"])
            let written = Array(try Data(contentsOf: URL(fileURLWithPath: out)))
            let expected = try ModelImporter.convert(path: upstreamFixture(file), name: "faces", dataset: "d", license: "CC0")
            #expect(written == expected.bytes)
            let m = try ModelFile.open(path: out)
            #expect(m.name == "faces" && m.license == "CC0" && m.container == .safetensors)
            #expect(m.sourceNote?.hasPrefix("imported from \(file)") == true)
        }
    }

    @Test func convertRefusesToOverwriteItsInput() {
        #expect(throws: CLIError.self) { try runCLI(["convert", upstreamFixture("GAN_GEN_3.pth"), upstreamFixture("GAN_GEN_3.pth")]) }
    }

    @Test func convertReportsANonGenerator() throws {
        try inTemporaryDirectory { dir in
            #expect(throws: WeightsError.self) { try runCLI(["convert", upstreamFixture("GAN_DIS_1.pth"), dir + "/d.safetensors"]) }
            #expect(!FileManager.default.fileExists(atPath: dir + "/d.safetensors"))
        }
    }

    @Test(arguments: ["GAN_GEN_3-legacy.pth", "stylegan-32.pkl"])
    func inspectAndRenderTakeUpstreamFilesDirectly(_ file: String) throws {
        try runCLI(["inspect", "--brief", upstreamFixture(file)])
        try inTemporaryDirectory { dir in
            try runCLI(["render", "--weights", upstreamFixture(file), "--seed", "3", "--out", dir + "/x.png", "--quiet"])
            #expect(FileManager.default.fileExists(atPath: dir + "/x.png"))
        }
    }

    @Test func mixTakesATFPickle() throws {
        try inTemporaryDirectory { dir in
            try runCLI(["mix", "--weights", upstreamFixture("stylegan-32.pkl"), "--rows", "1", "--cols", "2",
                        "--styles", "coarse", "--out", dir + "/m.png", "--quiet"])
            #expect(FileManager.default.fileExists(atPath: dir + "/m.png"))
        }
    }
}
