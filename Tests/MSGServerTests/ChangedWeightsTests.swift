import Foundation
import MSGGen
import MSGServer
import Testing

/// A weights file changed between loading and serving must stop the server
/// with an error naming it, never tag pictures with a fingerprint of other
/// (or skipped) bytes.
@Suite struct ChangedWeightsTests {
    @Test func aTruncatedWeightsFileIsRefusedAtStart() throws {
        let src = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../weights/random-progan-128.safetensors").standardized.path
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("msg-changed-\(UUID().uuidString).safetensors").path
        try FileManager.default.copyItem(atPath: src, toPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = try Model.load(path: path)
        // Unchanged: the server starts.
        _ = try ServerDependencies.make(models: [model], config: ServerConfig())
        // Cut short after loading, as `cp new old` does: refused, naming the model.
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.truncate(atOffset: 1000)
        try h.close()
        let error = #expect(throws: ServerError.self) {
            _ = try ServerDependencies.make(models: [model], config: ServerConfig())
        }
        #expect(error?.description.contains("weights") == true)
        #expect(error?.description.contains(model.name) == true)
    }
}
