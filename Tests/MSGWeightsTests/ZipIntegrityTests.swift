import Foundation
import Testing
@testable import MSGWeights

/// README "Upstream checkpoints": zip offsets and CRCs are checked. A flipped
/// bit inside a stored member (tensor data: no parser would notice) must fail
/// the CRC-32 check with an error naming the member, never load changed weights.
@Suite struct ZipIntegrityTests {
    @Test func aFlippedBitInStoredTensorDataFailsTheCRC() throws {
        let original = try Upstream.bytes("GAN_GEN_3.pth")
        _ = try ModelImporter.convert(bytes: original, label: "ok.pth")   // the untouched file loads
        // The largest stored member's data: find a tensor storage member ("<name>/data/<key>").
        var bytes = original
        let members = try bytes.withUnsafeBytes { raw in try ZipArchive(raw, source: "z").members }
        let member = try #require(members.filter { $0.name.contains("/data/") && $0.method == 0 }
            .max { $0.dataRange.count < $1.dataRange.count })
        bytes[member.dataRange.lowerBound + member.dataRange.count / 2] ^= 0x10
        let e = weightsError { _ = try ModelImporter.convert(bytes: bytes, label: "flipped.pth") }
        guard case .invalidZip(_, let reason)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(reason.contains("CRC-32 mismatch"), "\(reason)")
        #expect(reason.contains(member.name), "\(reason)")
    }
}
