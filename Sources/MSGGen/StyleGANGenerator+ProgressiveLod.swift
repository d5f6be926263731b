import MSGTensor

// MARK: - Progressive growing (StyleGAN v1 snapshots saved with lod != 0)

extension StyleGANGenerator {
    /// Replaces the full-resolution output of `outputs` (`[n, 3, r, r]` per
    /// scale, 4x4 first) by what upstream's G_synthesis returns at level `lod`
    /// (`ProgressiveLod`); the smaller outputs stay each block's own to-RGB.
    ///
    /// Upstream's recursive `grow(x, res, lod)` (networks_stylegan.py), for
    /// res = 3 ... log2(R) and level = log2(R) - res: while lod < level (and
    /// level > 0) it recurses into the next block; at the first level <= lod it
    /// returns `upscale2d(lerp(torgb(res), upscale2d(torgb(res - 1)), lod - level), 2^level)`
    /// when lod > level, else `upscale2d(torgb(res), 2^level)`. lerp(a, b, t) =
    /// a + (b - a) * t in float32 (tflib.lerp); upscale2d repeats pixels.
    /// lod 0 leaves the outputs untouched.
    static func applyProgressiveLod(_ lod: Float, to outputs: inout [Tensor]) {
        let top = outputs.count + 1            // log2(R): outputs are r = 2^2 ... 2^top
        guard lod > 0, top >= 3 else { return }
        for res in 3...top {
            let level = top - res
            if lod < Float(level) && level > 0 { continue }
            let a = outputs[res - 2], b = outputs[res - 3]
            let t: Float? = lod > Float(level) ? lod - Float(level) : nil
            outputs[top - 2] = blendUp(a, b, t: t, level: level)
            return
        }
    }

    /// `[n, 3, r, r]` a (and `[n, 3, r/2, r/2]` b when `t` is given) ->
    /// `[n, 3, r << level, r << level]`: (t == nil ? a : a + (up(b) - a) * t), scaled up by 2^level.
    private static func blendUp(_ a: Tensor, _ b: Tensor, t: Float?, level: Int) -> Tensor {
        let (n, c, r) = (a.shape[0], a.shape[1], a.shape[2])
        let big = r << level, half = r / 2
        var out = [Float](repeating: 0, count: n * c * big * big)
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { op in
                    for plane in 0..<(n * c) {
                        let ab = plane * r * r, bb = plane * half * half, ob = plane * big * big
                        for y in 0..<big {
                            let ay = y >> level
                            for x in 0..<big {
                                let ax = x >> level
                                let av = ap[ab + ay * r + ax]
                                var v = av
                                if let t {
                                    let bv = bp[bb + (ay >> 1) * half + (ax >> 1)]
                                    v = av + (bv - av) * t
                                }
                                op[ob + y * big + x] = v
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, big, big], data: out)
    }
}
