import Foundation
import Testing
@testable import MSGCLI
import MSGWeights

/// `inspect` says at which progressive-growing level a snapshot was saved.
@Suite struct InspectLodTests {
    @Test func inspectNamesTheLevelAndTheRule() throws {
        let m = try ModelFile.open(path: fixtures.appendingPathComponent("upstream/stylegan-32-lod1.5.pkl").path)
        let line = InspectCommand.lodLine(try #require(m.progressiveLod), resolutions: m.config.resolutions)
        #expect(line == "saved at lod 1.5 (lod; mid progressive growing): the 32x32 output is the 16x16 to-RGB output blended "
                + "with the 8x8 one (t = 0.5) scaled up, as upstream's Gs.run renders it; smaller outputs are each block's own")
        let whole = InspectCommand.lodLine(ProgressiveLod(stored: 2, tensor: "G_synthesis/lod", applied: true), resolutions: [4, 8, 16, 32])
        #expect(whole.contains("the 32x32 output is the 8x8 to-RGB output scaled up"))
        let fixed = InspectCommand.lodLine(ProgressiveLod(stored: 1, tensor: "lod", applied: false), resolutions: [4, 8, 16, 32])
        #expect(fixed.hasSuffix("ignored, as upstream does for structure 'fixed'"))
    }
}
