// MARK: - ProgressiveLod

/// The progressive-growing level (`lod`) a StyleGAN v1 snapshot was saved at.
///
/// Upstream (NVlabs/stylegan `training/networks_stylegan.py`): `G_style` owns a
/// `lod` variable and, every time `Gs.run` builds its output, assigns it to
/// `G_synthesis/lod` before synthesis reads it (`tf.assign(components.synthesis
/// .find_var('lod'), lod_in)`). So the level that decides the picture is
/// Gs's own `lod` (tensor `lod` here) when present, else `G_synthesis/lod`.
/// Synthesis with structure 'recursive' (what 'auto' builds) or 'linear' then
/// returns, at full resolution, the blend of the two to-RGB outputs around the
/// level, scaled up by nearest-neighbour repetition; 'fixed' has no
/// progressive growing and ignores `lod`. msg-stylegan-tf has no `lod` at all.
///
/// Levels outside 0 ... log2(R) - 2 (upstream's schedule never leaves it;
/// 'recursive' would extrapolate there while 'linear' clamps) are refused.
public struct ProgressiveLod: Sendable, Equatable {
    /// The stored level, e.g. 1.5.
    public let stored: Float
    /// The tensor it was read from: "lod" (Gs's own) or "G_synthesis/lod".
    public let tensor: String
    /// False for structure 'fixed', which ignores the level.
    public let applied: Bool

    public init(stored: Float, tensor: String, applied: Bool) {
        self.stored = stored
        self.tensor = tensor
        self.applied = applied
    }

    /// The level rendering uses: `stored` when applied, else 0.
    public var effective: Float { applied ? stored : 0 }

    /// Tensors of a msg-stylegan file that hold the level (scalars, shape [] or [1]).
    public static let tensorNames = ["lod", "G_synthesis/lod"]

    /// nil when the file stores no level (msg-stylegan-tf, converted files
    /// without it). Throws for a level that is not a finite scalar in range.
    static func read(file: SafeTensorsFile, config: StyleGANConfig) throws(WeightsError) -> ProgressiveLod? {
        var values: [(name: String, value: Float)] = []
        for name in tensorNames {
            guard let info = file.tensors[name] else { continue }
            guard info.elementCount == 1, info.shape.count <= 1 else {
                throw .wrongShape(file: file.source, tensor: name, shape: info.shape, expected: [])
            }
            values.append((name, try file.floats(name)[0]))
        }
        guard let (name, value) = values.first else { return nil }
        let top = config.resolutionLog2 - 2
        guard value.isFinite, value >= 0, value <= Float(top) else {
            throw .invalidTensorEntry(file: file.source, tensor: name,
                                      reason: "progressive-growing level \(value) is outside 0 ... \(top) (resolution \(config.resolution)); msg-gen cannot render it as upstream would")
        }
        return ProgressiveLod(stored: value, tensor: name, applied: config.structure != .fixed)
    }
}
