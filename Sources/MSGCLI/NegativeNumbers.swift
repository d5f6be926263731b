// MARK: - NegativeNumbers

/// Negative numbers as option values (`--psi -0.5`).
///
/// ArgumentParser 1.8.2 reads any argument starting with `-` as an option
/// (apple/swift-argument-parser#31), so `--psi -0.5` had answered "Missing
/// value". Every scalar numeric option therefore declares
/// `parsing: .unconditional` (the maintainers' fix: the next argument is the
/// value, whatever it looks like), and gets its range error from `validate()`
/// or its transform. List options that collect values up to the next option
/// (`bench --batches 1 8`) cannot use that strategy; for them `attach` rewrites
/// a negative number inside the list to the `--name=value` form, which the
/// parser reads as a value. msg-gen has no short options that are digits, so a
/// negative number is never an option name.
public enum NegativeNumbers {
    /// Options whose values run up to the next option (`parsing: .upToNextOption`)
    /// and are numbers.
    public static let listOptions: Set<String> = ["--batches"]

    /// `-1`, `-0.5`, `-.5`, `-1e3`, `-inf`, `-nan`: a minus sign and a number.
    public static func isNegativeNumber(_ s: String) -> Bool {
        guard s.hasPrefix("-"), !s.hasPrefix("--") else { return false }
        let body = s.dropFirst().lowercased()
        if ["inf", "infinity", "nan"].contains(body) { return true }
        guard let first = body.first, first.isASCII, first.isNumber || first == "." else { return false }
        return Double(body) != nil
    }

    /// `args` with each negative number inside a list option's values written
    /// as `--name=value` (the others unchanged). Stops at `--`.
    public static func attach(_ args: [String]) -> [String] {
        var out: [String] = []
        var list: String?
        for a in args {
            if a == "--" { list = nil; out.append(a); continue }
            if let name = list, isNegativeNumber(a) {
                // Right after the bare option, the value joins it (a bare `--batches` would lack values).
                if out.last == name { out[out.count - 1] = "\(name)=\(a)" } else { out.append("\(name)=\(a)") }
                continue
            }
            if a.hasPrefix("-") {
                let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
                list = listOptions.contains(name) ? name : nil
            }
            out.append(a)
        }
        return out
    }
}
