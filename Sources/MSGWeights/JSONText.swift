// MARK: - JSONText

/// Writing JSON text by hand (the writer and the config encoders), so output
/// is deterministic and needs no Foundation encoder.
enum JSONText {
    /// A JSON string literal, quotes included.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A finite Double as JSON (Swift's shortest round-trip form, e.g. `0.01`, `1.0`).
    static func number(_ d: Double) -> String {
        precondition(d.isFinite, "JSON has no \(d)")
        return "\(d)"
    }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
