import MSGGen

/// What every PNG records (tEXt chunks): enough to re-render it. The CLI and
/// the server write the same chunks for the same request.
public struct ImageMetadata: Sendable {
    public var pngText: [(key: String, value: String)]

    public init(model: Model, seeds: [UInt32], options: RenderOptions, scales: ScaleSelection, extra: [(String, String)] = []) {
        var t: [(key: String, value: String)] = [
            ("Software", "msg-gen"),
            ("Model", model.name),
            ("Family", model.family.rawValue),
            ("Seeds", Self.describe(seeds)),
            ("Scales", scales.describe(in: model)),
        ]
        if model.family == .msgStyleGAN {
            t.append(("Truncation", options.psi.map { "psi \($0)" } ?? "model default"))
            t.append(("Noise", options.noise == .random ? "random, noise seed \(options.noiseSeed)" : options.noise.rawValue))
        }
        // Only bf16 is named: float32 pictures keep the bytes they always had.
        if model.precision != .fp32 { t.append(("Precision", model.precision.rawValue)) }
        for (k, v) in extra { t.append((k, v)) }
        pngText = t
    }

    /// `[1, 2, 3, 7]` -> `1-3,7`.
    public static func describe(_ seeds: [UInt32]) -> String {
        var parts: [String] = []
        var i = 0
        while i < seeds.count {
            var j = i
            while j + 1 < seeds.count && seeds[j + 1] == seeds[j] &+ 1 && seeds[j + 1] != 0 { j += 1 }
            parts.append(j > i ? "\(seeds[i])-\(seeds[j])" : "\(seeds[i])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
