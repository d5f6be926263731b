import Foundation
import MSGGen
import MSGImage
import MSGTensor
import MSGWeights

/// Errors reading or writing latents files; each names the file and, where it
/// applies, what was expected and what was found.
public enum LatentsError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case tooLarge(file: String, bytes: Int, limit: Int)
    /// Not .npy or .npz, or a malformed one (the reader's message).
    case malformed(file: String, reason: String)
    case missingKey(file: String, key: String, found: [String])
    case wrongDType(file: String, found: String)
    case wrongShape(file: String, expected: String, found: [Int])
    case notFinite(file: String, vector: Int, element: Int)
    case zeroVector(file: String, vector: Int)
    case tooMany(file: String, count: Int, limit: Int)
    case wrongFamily(file: String, model: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): "\(f): cannot read: \(r)"
        case let .tooLarge(f, b, l): "\(f): \(b) bytes; latents files may have at most \(l)"
        case let .malformed(f, r): "\(f): \(r)"
        case let .missingKey(f, k, found): "\(f): no array '\(k)' in the .npz (found: \(found.isEmpty ? "none" : found.joined(separator: ", ")))"
        case let .wrongDType(f, d): "\(f): dtype \(d); expected float32 ('<f4') or float64 ('<f8')"
        case let .wrongShape(f, e, s): "\(f): shape \(s); expected \(e)"
        case let .notFinite(f, v, e): "\(f): vector \(v) holds NaN or infinity at element \(e)"
        case let .zeroVector(f, v): "\(f): vector \(v) is all zeros (an msg-progan latent is put on the sphere: it needs a direction)"
        case let .tooMany(f, n, l): "\(f): \(n) vectors; at most \(l) per render"
        case let .wrongFamily(f, m): "\(f): w (dlatents) needs an msg-stylegan model; \(m) is msg-progan"
        }
    }
}

/// Latents in and out: z as `.npy` [N, L] or [L] (float32 or float64) or `.npz`
/// key `z`; w (MSG-StyleGAN) as `.npy` [N, layers, D] or [N, D] or `.npz` key `w`
/// (stylegan2-ada-pytorch's projector writes `w` [1, num_ws, D]). `.npz` is read
/// with MSGWeights' zip reader (stored or deflated members).
public enum LatentsFile {
    /// Largest latents file read (bytes).
    public static let maxBytes = 64 << 20
    /// Most vectors in one file (as many as seeds in one render).
    public static let maxCount = 1024

    /// Reads a file's bytes, refusing more than `maxBytes` before reading.
    public static func load(path: String) throws(LatentsError) -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(file: path, reason: "not a regular file") }
        guard Int(st.st_size) <= maxBytes else { throw .tooLarge(file: path, bytes: Int(st.st_size), limit: maxBytes) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path, reason: "read failed") }
        guard data.count <= maxBytes else { throw .tooLarge(file: path, bytes: data.count, limit: maxBytes) }
        return [UInt8](data)
    }

    /// z vectors [N][L], float64 (float32 files widened exactly). `source` names
    /// the file (or request body) in errors.
    public static func z(_ bytes: [UInt8], source: String, model: Model) throws(LatentsError) -> [[Double]] {
        let a = try array(bytes, source: source, key: "z")
        let l = model.latentSize
        let n: Int
        switch a.shape.count {
        case 1 where a.shape[0] == l: n = 1
        case 2 where a.shape[1] == l: n = a.shape[0]
        default: throw .wrongShape(file: source, expected: "[N, \(l)] or [\(l)] (this model's latent size is \(l))", found: a.shape)
        }
        let vectors = try split(a.values, count: n, width: l, source: source)
        if model.family == .msgProGAN, let zero = vectors.firstIndex(where: { $0.allSatisfy { $0 == 0 } }) {
            throw .zeroVector(file: source, vector: zero)
        }
        return vectors
    }

    /// w vectors, float32: each [D] (one w for every layer) or [layers * D].
    public static func w(_ bytes: [UInt8], source: String, model: Model) throws(LatentsError) -> [[Float]] {
        guard let layers = model.styleLayerCount, let d = model.dlatentSize else {
            throw .wrongFamily(file: source, model: model.name)
        }
        let a = try array(bytes, source: source, key: "w")
        let width: Int, n: Int
        switch a.shape.count {
        case 2 where a.shape[1] == d: (n, width) = (a.shape[0], d)
        case 3 where a.shape[1] == layers && a.shape[2] == d: (n, width) = (a.shape[0], layers * d)
        default:
            throw .wrongShape(file: source, expected: "[N, \(layers), \(d)] or [N, \(d)] (this model has \(layers) style layers of \(d))", found: a.shape)
        }
        let w = try split(a.values, count: n, width: width, source: source).map { $0.map { Float($0) } }
        // float64 values beyond float32's range (a float32 file cannot hold them).
        if let v = w.firstIndex(where: { $0.contains { !$0.isFinite } }) {
            throw .notFinite(file: source, vector: v, element: w[v].firstIndex { !$0.isFinite }!)
        }
        return w
    }

    /// The `.npz` `--save-latents` writes: `z` float64 [N, L] (unless the render
    /// started from w) and, when given, `w` float32 [N, layers, D] (exactly as
    /// rendered, after truncation).
    public static func npz(z: [[Double]], w: [[Float]]?, layers: Int?, dlatentSize: Int?) -> [UInt8] {
        var members: [(name: String, bytes: [UInt8])] = []
        if let l = z.first?.count {  // none when the render started from given w
            members.append((name: "z.npy", bytes: NPY.encode(float64: z.flatMap { $0 }, shape: [z.count, l])))
        }
        if let w, let layers, let dlatentSize {
            members.append((name: "w.npy", bytes: NPY.encode(Tensor(shape: [w.count, layers, dlatentSize], data: w.flatMap { $0 }))))
        }
        return ZipMembers.write(members)
    }

    // MARK: - Parsing

    /// The float array of a .npy, or of `key` in a .npz.
    static func array(_ bytes: [UInt8], source: String, key: String) throws(LatentsError) -> NPY.FloatArray {
        let npyMagic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], zipMagic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
        if bytes.starts(with: npyMagic) { return try npy(bytes, source: source) }
        guard bytes.starts(with: zipMagic) else {
            throw .malformed(file: source, reason: "neither .npy (\\x93NUMPY) nor .npz (a zip archive)")
        }
        let members: [(name: String, bytes: [UInt8])]
        do { members = try ZipMembers.read(bytes, source: source) } catch { throw .malformed(file: source, reason: error.description) }
        guard let m = members.first(where: { $0.name == key + ".npy" }) else {
            throw .missingKey(file: source, key: key, found: members.map { String($0.name.dropLast($0.name.hasSuffix(".npy") ? 4 : 0)) })
        }
        return try npy(m.bytes, source: "\(source) [\(key)]")
    }

    static func npy(_ bytes: [UInt8], source: String) throws(LatentsError) -> NPY.FloatArray {
        do {
            return try NPY.decodeFloats(bytes)
        } catch .npyUnsupportedDType(let d) {
            throw .wrongDType(file: source, found: d)
        } catch {
            throw .malformed(file: source, reason: error.description)
        }
    }

    static func split(_ values: [Double], count n: Int, width: Int, source: String) throws(LatentsError) -> [[Double]] {
        guard n >= 1 else { throw .wrongShape(file: source, expected: "at least one vector", found: [0, width]) }
        guard n <= maxCount else { throw .tooMany(file: source, count: n, limit: maxCount) }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .notFinite(file: source, vector: bad / width, element: bad % width)
        }
        return (0..<n).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }
}
