// MARK: - StyleGANConfig parsing

extension StyleGANConfig {
    static let maxResolution = 1 << 16
    static let maxSize = 1 << 20

    /// Reads the upstream kwargs; a missing key takes the upstream default
    /// (`resolution` has none and is required). Upstream kwargs that would
    /// change the network in ways msg-gen does not model must hold their only
    /// supported value; any other key is ignored, as upstream's `**_kwargs` does.
    static func parse(_ r: ConfigReader) throws(WeightsError) -> StyleGANConfig {
        var c = StyleGANConfig(resolution: try r.required("resolution", try r.int("resolution")))
        try r.check(c.resolution >= 4 && c.resolution <= maxResolution && c.resolution & (c.resolution - 1) == 0,
                    "resolution", "\(c.resolution) is not a power of two in 4...\(maxResolution)")

        if let v = try r.int("latent_size") { c.latentSize = v }
        if let v = try r.int("dlatent_size") { c.dlatentSize = v }
        if let v = try r.int("mapping_layers") { c.mappingLayers = v }
        if let v = try r.int("mapping_fmaps") { c.mappingFmaps = v }
        if let v = try r.double("mapping_lrmul") { c.mappingLrmul = v }
        if let v = try r.int("fmap_base") { c.fmapBase = v }
        if let v = try r.double("fmap_decay") { c.fmapDecay = v }
        if let v = try r.int("fmap_max") { c.fmapMax = v }
        if let v = try r.bool("use_wscale") { c.useWscale = v }
        if let v = try r.bool("use_noise") { c.useNoise = v }
        if let v = try r.bool("use_instance_norm") { c.useInstanceNorm = v }
        if let v = try r.bool("use_pixel_norm") { c.usePixelNorm = v }
        if let v = try r.bool("use_styles") { c.useStyles = v }
        if let v = try r.bool("const_input_layer") { c.constInputLayer = v }
        if let v = try r.doubles("blur_filter") { c.blurFilter = v }
        if let v = try r.nullableDouble("truncation_psi") { c.truncationPsi = v }
        if let v = try r.nullableInt("truncation_cutoff") { c.truncationCutoff = v }
        c.fusedScale = try parseFusedScale(r) ?? .auto

        for (key, value) in [("latent_size", c.latentSize), ("dlatent_size", c.dlatentSize),
                             ("mapping_fmaps", c.mappingFmaps), ("fmap_max", c.fmapMax)] {
            try r.check((1...maxSize).contains(value), key, "\(value) is outside 1...\(maxSize)")
        }
        try r.check((1...1024).contains(c.mappingLayers), "mapping_layers", "\(c.mappingLayers) is outside 1...1024")
        try r.check((1...(1 << 30)).contains(c.fmapBase), "fmap_base", "\(c.fmapBase) is outside 1...\(1 << 30)")
        try r.check(c.mappingLrmul > 0, "mapping_lrmul", "\(c.mappingLrmul) is not positive")
        for stage in 1..<c.resolutionLog2 {
            let n = c.channels(stage: stage)
            try r.check(n >= 1, "fmap_base",
                        "fmap_base \(c.fmapBase) with fmap_decay \(c.fmapDecay) gives \(n) feature maps at stage \(stage) (\(1 << (stage + 1))x\(1 << (stage + 1)))")
        }

        // Upstream kwargs outside FORMAT.md that an exporter may copy from the
        // pickle's static kwargs: accept them only at the value msg-gen models.
        if let v = try r.int("num_channels") { try r.check(v == 3, "num_channels", "\(v) is not supported (RGB only: 3)") }
        if let v = try r.int("label_size") { try r.check(v == 0, "label_size", "\(v) is not supported (unconditional only: 0)") }
        for key in ["nonlinearity", "mapping_nonlinearity"] {
            if let v = try r.string(key) { try r.check(v == "lrelu", key, "'\(v)' is not supported (only 'lrelu')") }
        }
        if let v = try r.bool("normalize_latents") { try r.check(v, "normalize_latents", "false is not supported") }
        if let v = try r.string("structure") {
            guard let s = SynthesisStructure(rawValue: v) else {
                throw .invalidConfigValue(file: r.source, key: "structure", reason: "unknown value '\(v)' (expected auto, fixed, linear or recursive)")
            }
            c.structure = s
        }
        // Upstream state that would change the picture and that msg-gen does not model: refused by name.
        if let v = try r.string("dtype") {
            try r.check(v == "float32", "dtype", "'\(v)' is not supported (msg-gen computes in float32, upstream's default)")
        }
        if let v = try r.bool("is_training") {
            try r.check(!v, "is_training", "true is not supported (a network built for training: upstream would skip truncation)")
        }
        if let v = try r.bool("is_validation") {
            try r.check(!v, "is_validation", "true is not supported (upstream would truncate with truncation_psi_val / truncation_cutoff_val)")
        }
        return c
    }

    /// `true`, `false` or `"auto"`.
    private static func parseFusedScale(_ r: ConfigReader) throws(WeightsError) -> FusedScale? {
        guard let value = r.fields["fused_scale"] else { return nil }
        switch value {
        case .bool(true): return .yes
        case .bool(false): return .no
        case .string("auto"): return .auto
        case .string(let s):
            throw .invalidConfigValue(file: r.source, key: "fused_scale", reason: "unknown value '\(s)' (expected true, false or \"auto\")")
        default:
            throw .configKeyType(file: r.source, key: "fused_scale", expected: "true, false or \"auto\"", found: value.kindName)
        }
    }
}
