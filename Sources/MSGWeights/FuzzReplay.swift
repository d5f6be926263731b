#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - FuzzReplay

/// The fuzz targets' plain (non-libFuzzer) mode: runs `body` on every file
/// named, and on every file inside a named directory, and prints how many.
/// A crash or trap in `body` fails the replay, so CI can rerun the corpus.
public enum FuzzReplay {
    public static func run<S: Sequence>(_ paths: S, _ body: ([UInt8]) -> Void) where S.Element == String {
        var count = 0
        for path in paths {
            for file in files(path) {
                guard let bytes = try? ByteStorage.open(path: file).allBytes() else { continue }
                body(bytes)
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }

    private static func files(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { out.append(path + "/" + name) }
        }
        return out.sorted()
    }
}
