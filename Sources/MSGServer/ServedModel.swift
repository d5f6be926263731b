import Foundation
import MSGGen
import MSGWeights

/// A loaded model as the server addresses it: its name, its render pool and a
/// fingerprint of its weights (part of every ETag, so new weights under an
/// old name never match a client's cached copy).
public final class ServedModel: Sendable {
    public let model: Model
    public let pool: RenderPool
    public let fingerprint: String

    /// - Throws: `ServerError.badParameter("weights", ...)` when the weights
    ///   file can no longer be read as it was loaded (changed or truncated since):
    ///   a fingerprint of other bytes would tag the wrong pictures.
    public init(model: Model, pool: RenderPool) throws(ServerError) {
        let fingerprint: String
        do {
            fingerprint = try Self.fingerprint(model)
        } catch {
            throw .badParameter("weights", "\(model.name): its weights file can no longer be read as loaded (changed since?): \(error)")
        }
        self.model = model
        self.pool = pool
        self.fingerprint = fingerprint
    }

    public var name: String { model.name }

    /// The named style ranges this model's `/v1/mix` accepts, each with the
    /// layers it swaps (`"coarse": "0-3"`): asked of `Model.styleLayers`, the
    /// function `/v1/mix` uses, so a name is listed only if it works (a 16 px
    /// model, layers 0-5, has only `coarse`).
    func styleNames() -> [String: String] {
        var names: [String: String] = [:]
        for name in ["coarse", "middle", "fine"] {
            guard let layers = try? model.styleLayers(name), let lo = layers.first, let hi = layers.last else { continue }
            names[name] = lo == hi ? "\(lo)" : "\(lo)-\(hi)"
        }
        return names
    }

    /// FNV-1a 64 over tensor names, shapes and bytes (computed once at start).
    static func fingerprint(_ model: Model) throws -> String {
        var h = FNV1a()
        h.add(model.name); h.add(model.family.rawValue)
        // bf16 pictures differ from float32 ones: another ETag (float32 keeps its old one).
        if model.precision != .fp32 { h.add("precision=" + model.precision.rawValue) }
        let file = model.file.file
        for name in file.names {
            h.add(name)
            try file.withRawBytes(name) { raw in h.add(raw) }
        }
        return h.hex
    }

    /// What `GET /v1/models` lists.
    func description(isDefault: Bool) -> [String: Any] {
        var d: [String: Any] = [
            "name": name,
            "family": model.family.rawValue,
            "resolutions": model.resolutions,
            "latent_size": model.latentSize,
            "precision": model.precision.rawValue,
            "default": isDefault,
        ]
        var defaults: [String: Any] = ["scale": "max"]
        if let n = model.styleLayerCount {
            d["style_layers"] = n
            d["style_names"] = styleNames()
            if case .styleGAN(let c) = model.file.config {
                defaults["psi"] = c.truncationPsi ?? 1
                defaults["cutoff"] = c.truncationCutoff ?? n
            }
            defaults["noise"] = "const"
        } else {
            d["style_layers"] = NSNull()
        }
        d["defaults"] = defaults
        return d
    }
}

/// FNV-1a, 64 bits: cheap, stable across runs and machines.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var v = value
        for b in bytes { v = (v ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        value = v
    }

    mutating func add(_ s: String) {
        var s = s
        s.withUTF8 { add(UnsafeRawBufferPointer($0)) }
        value = (value ^ 0xff) &* 0x0000_0100_0000_01b3   // separator
    }

    var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
