import Foundation
import MSGTensor
import MSGWeights

/// Fixture access for the golden tests (see Fixtures/README.md).
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func expected(_ model: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: path("\(model).expected.safetensors"))
    }

    static func metadataJSON(_ file: SafeTensorsFile, _ key: String) throws -> Any {
        guard let s = file.metadata[key], let data = s.data(using: .utf8) else { throw FixtureError.missing(key) }
        return try JSONSerialization.jsonObject(with: data)
    }

    enum FixtureError: Error { case missing(String) }
}

/// Largest |a - b| over two equally long arrays.
func maxAbsError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return a.contains(where: \.isNaN) ? .infinity : m
}
