import MSGGen
import MSGRender
import MSGTensor

extension Output {
    /// Writes the selected scales of one output as `DIR/{stem}-{R}x{R}.npy`
    /// (float32 [3, R, R], atomically), as render and walk name raw files.
    static func writeNPY(scales: [Tensor], indices: [Int], model: Model, directory dir: String, stem: String) throws {
        for s in indices {
            let r = model.resolutions[s]
            try writeNPY(scales[s], to: "\(dir)/\(stem)-\(r)x\(r).npy")
        }
    }

    /// The file-name suffix of a scale selection: "", "-all" or "-Rpx".
    static func suffix(_ scales: ScaleSelection) -> String {
        switch scales {
        case .max: ""
        case .all: "-all"
        case .resolution(let r): "-\(r)px"
        }
    }
}
