#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - FusedScale

/// Upstream G_synthesis's `structure`: 'fixed' has no progressive growing
/// (ignores `lod`); 'linear' and 'recursive' ('auto' picks it) honour it.
public enum SynthesisStructure: String, Sendable, Equatable, CaseIterable {
    case auto, fixed, linear, recursive
}

/// Upstream's `fused_scale`: `True`, `False` or `'auto'`.
public enum FusedScale: String, Sendable, Equatable {
    case yes, no, auto
}

// MARK: - StyleGANConfig

/// Hyper-parameters of an MSG-StyleGAN (or StyleGAN v1) `G_style`, with the
/// upstream defaults of msg-stylegan-tf's `G_style` / `G_mapping` / `G_synthesis`.
/// JSON keys are the upstream kwarg names (`latent_size`, `fmap_base`, ...).
public struct StyleGANConfig: Sendable, Equatable {
    public typealias FusedScale = MSGWeights.FusedScale

    public var resolution: Int
    public var latentSize = 512
    public var dlatentSize = 512
    public var mappingLayers = 8
    public var mappingFmaps = 512
    public var mappingLrmul = 0.01
    public var fmapBase = 8192
    public var fmapDecay = 1.0
    public var fmapMax = 512
    public var useWscale = true
    public var useNoise = true
    public var useInstanceNorm = true
    public var usePixelNorm = false
    public var useStyles = true
    public var constInputLayer = true
    /// Empty: no blur (upstream `blur_filter=None`).
    public var blurFilter: [Double] = [1, 2, 1]
    public var fusedScale: FusedScale = .auto
    /// nil: no truncation (JSON null, upstream None).
    public var truncationPsi: Double? = 0.7
    /// nil: no truncation (JSON null, upstream None).
    public var truncationCutoff: Int? = 8
    /// How a stored progressive-growing `lod` is applied (`ProgressiveLod`).
    public var structure: SynthesisStructure = .auto

    /// All other keys take the upstream defaults.
    public init(resolution: Int) {
        self.resolution = resolution
    }

    // MARK: - Derived

    /// log2(resolution) (the parser checked it is a power of two >= 4).
    public var resolutionLog2: Int {
        resolution > 0 ? Int.bitWidth - 1 - resolution.leadingZeroBitCount : 0
    }

    /// 2 * log2(resolution) - 2: two style layers per resolution.
    public var numLayers: Int { 2 * resolutionLog2 - 2 }

    /// Upstream `nf(stage) = min(int(fmap_base / (2.0 ** (stage * fmap_decay))), fmap_max)`.
    public func channels(stage: Int) -> Int {
        let v = Double(fmapBase) / pow(2.0, Double(stage) * fmapDecay)
        guard !v.isNaN else { return 0 }
        // min() first so the conversion cannot trap (v may be huge or inf).
        return Int(min(v, Double(fmapMax)).rounded(.towardZero))
    }

    /// 4 ... resolution: one output per synthesis block.
    public var resolutions: [Int] {
        resolutionLog2 >= 2 ? (2...resolutionLog2).map { 1 << $0 } : []
    }

    /// Upstream's `upscale2d_conv2d`: one transposed conv when `fused_scale` is
    /// true, or "auto" and the output is at least 128 px.
    public func usesFusedUpConv(resolution r: Int) -> Bool {
        switch fusedScale {
        case .yes: return true
        case .no: return false
        case .auto: return r >= 128
        }
    }

    // MARK: - Tensors

    /// The variables of upstream `Gs` for these flags, named
    /// `<component>/<variable>` with TF layouts (FORMAT.md's table).
    public func expectedTensors() -> [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        guard resolutionLog2 >= 2 else { return out }

        // G_mapping: Dense{k} with weight [in, out], the last one out = dlatent_size.
        for k in 0..<max(mappingLayers, 0) {
            let fanIn = k == 0 ? latentSize : mappingFmaps
            let fanOut = k == mappingLayers - 1 ? dlatentSize : mappingFmaps
            out.append(("G_mapping/Dense\(k)/weight", [fanIn, fanOut]))
            out.append(("G_mapping/Dense\(k)/bias", [fanOut]))
        }
        out.append(("dlatent_avg", [dlatentSize]))

        // G_synthesis: stored noise, one per layer: layer l works at 2^(l/2 + 2).
        if useNoise {
            for l in 0..<numLayers {
                let r = 1 << (l / 2 + 2)
                out.append(("G_synthesis/noise\(l)", [1, 1, r, r]))
            }
        }

        // layer_epilogue's variables: noise weight, bias, style modulation.
        func epilogue(_ scope: String, _ c: Int) {
            if useNoise { out.append(("\(scope)/Noise/weight", [c])) }
            out.append(("\(scope)/bias", [c]))
            if useStyles {
                out.append(("\(scope)/StyleMod/weight", [dlatentSize, 2 * c]))
                out.append(("\(scope)/StyleMod/bias", [2 * c]))
            }
        }
        func toRGB(_ res: Int) {
            let scope = "G_synthesis/ToRGB_lod\(resolutionLog2 - res)"
            out.append(("\(scope)/weight", [1, 1, channels(stage: res - 1), 3]))
            out.append(("\(scope)/bias", [3]))
        }

        let nf1 = channels(stage: 1)
        if constInputLayer {
            out.append(("G_synthesis/4x4/Const/const", [1, nf1, 4, 4]))
            epilogue("G_synthesis/4x4/Const", nf1)
        } else {
            out.append(("G_synthesis/4x4/Dense/weight", [dlatentSize, nf1 * 16]))
            epilogue("G_synthesis/4x4/Dense", nf1)
        }
        out.append(("G_synthesis/4x4/Conv/weight", [3, 3, nf1, nf1]))
        epilogue("G_synthesis/4x4/Conv", nf1)
        toRGB(2)

        if resolutionLog2 >= 3 {
            for res in 3...resolutionLog2 {
                let scope = "G_synthesis/\(1 << res)x\(1 << res)"
                let (cIn, c) = (channels(stage: res - 2), channels(stage: res - 1))
                out.append(("\(scope)/Conv0_up/weight", [3, 3, cIn, c]))
                epilogue("\(scope)/Conv0_up", c)
                out.append(("\(scope)/Conv1/weight", [3, 3, c, c]))
                epilogue("\(scope)/Conv1", c)
                toRGB(res)
            }
        }
        return out
    }

    // MARK: - JSON

    /// Every key, upstream names, in FORMAT.md's order.
    public var configJSON: String {
        func bool(_ b: Bool) -> String { b ? "true" : "false" }
        let fused: String
        switch fusedScale {
        case .yes: fused = "true"
        case .no: fused = "false"
        case .auto: fused = JSONText.quoted("auto")
        }
        let blur = blurFilter.isEmpty ? "null" : "[" + blurFilter.map(JSONText.number).joined(separator: ",") + "]"
        // `structure` only when not the default, so files without it keep their bytes.
        let extra: [(String, String)] = structure == .auto ? [] : [("structure", JSONText.quoted(structure.rawValue))]
        return JSONText.object([
            ("resolution", String(resolution)),
            ("latent_size", String(latentSize)),
            ("dlatent_size", String(dlatentSize)),
            ("mapping_layers", String(mappingLayers)),
            ("mapping_fmaps", String(mappingFmaps)),
            ("mapping_lrmul", JSONText.number(mappingLrmul)),
            ("fmap_base", String(fmapBase)),
            ("fmap_decay", JSONText.number(fmapDecay)),
            ("fmap_max", String(fmapMax)),
            ("use_wscale", bool(useWscale)),
            ("use_noise", bool(useNoise)),
            ("use_instance_norm", bool(useInstanceNorm)),
            ("use_pixel_norm", bool(usePixelNorm)),
            ("use_styles", bool(useStyles)),
            ("const_input_layer", bool(constInputLayer)),
            ("blur_filter", blur),
            ("fused_scale", fused),
            ("truncation_psi", truncationPsi.map(JSONText.number) ?? "null"),
            ("truncation_cutoff", truncationCutoff.map(String.init) ?? "null"),
        ] + extra)
    }
}
