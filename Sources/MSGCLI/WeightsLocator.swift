import Foundation

/// Finds the default model: `$MSG_GEN_WEIGHTS`, else the file named in
/// `weights/DEFAULT` of the current directory, else of a folder above the
/// executable (so `.build/release/msg-gen` finds the repo's weights/).
public enum WeightsLocator {
    public static func defaultModelPath(environment: [String: String] = ProcessInfo.processInfo.environment,
                                        currentDirectory: String = FileManager.default.currentDirectoryPath,
                                        executablePath: String = CommandLine.arguments.first ?? "") throws(CLIError) -> String {
        if let p = environment["MSG_GEN_WEIGHTS"], !p.isEmpty { return p }
        var candidates = [URL(fileURLWithPath: currentDirectory)]
        var dir = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        var searched: [String] = []
        for base in candidates {
            let manifest = base.appendingPathComponent("weights/DEFAULT")
            searched.append(manifest.path)
            guard let text = try? String(contentsOf: manifest, encoding: .utf8) else { continue }
            let name = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: " ") } ?? ""
            guard !name.isEmpty, !name.contains("/") else { continue }
            return base.appendingPathComponent("weights").appendingPathComponent(name).path
        }
        throw .noDefaultWeights(searched: Array(searched.prefix(2)))
    }
}
