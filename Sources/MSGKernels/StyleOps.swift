/// StyleGAN v1's layer epilogue (networks_stylegan.py `layer_epilogue`), split
/// in the two passes instance norm forces on a tiled engine:
///
///   pass 1, while a conv tile is hot:  v = act(x + noise * nw + bias) [, pixel norm]
///                                        and per-channel sums of v and v^2
///   pass 2, per band of rows:          x = v * a_c + b_c, where a_c, b_c fold the
///                                        instance norm (mean, 1/std) and the style
///                                        (x * (s0 + 1) + s1), then to-RGB while hot.
///
/// Rows are pixels of an NHWC image, `c` floats each.
import CMSGKernels

public enum StyleOps {
    /// Pass 1 on `pixels` rows in place; `noise` holds one value per pixel
    /// (starting at this band's first pixel) or nil; sums go to `stats`
    /// ([2c]: sum, then sum of squares) when given.
    @inline(__always)
    public static func noiseBiasAct(rows: UnsafeMutablePointer<Float>, pixels: Int, c: Int,
                                    noise: UnsafePointer<Float>?, noiseWeight: UnsafePointer<Float>?,
                                    bias: UnsafePointer<Float>, slope: Float, pixelNormEpsilon: Float?,
                                    stats: UnsafeMutablePointer<Double>?) {
        if pixelNormEpsilon == nil, let stats {
            // The common case (no pixel norm), vectorised in CMSGKernels.
            msg_style_pass1(KernelISA.active.rawValue, rows, Int32(pixels), Int32(c), noiseWeight == nil ? nil : noise, noiseWeight, bias, slope, stats)
            return
        }
        for p in 0..<pixels {
            let row = rows + p * c
            let nz = noise?[p] ?? 0
            var ss: Float = 0
            for ch in 0..<c {
                var v = row[ch]
                if let nw = noiseWeight { v += nz * nw[ch] }
                v += bias[ch]
                v = v < 0 ? v * slope : v
                row[ch] = v
                ss += v * v
            }
            if let eps = pixelNormEpsilon {
                let inv = 1 / (ss / Float(c) + eps).squareRoot()
                for ch in 0..<c { row[ch] *= inv }
            }
            if let stats {
                for ch in 0..<c {
                    let v = Double(row[ch])
                    stats[ch] += v
                    stats[c + ch] += v * v
                }
            }
        }
    }

    /// 3x3 depthwise blur with the separable filter `f` (e.g. [1,2,1]/4 each
    /// way), zero padding, of rows `rows` of `src` [h, w, c] into the same rows of `dst`.
    @inline(__always)
    public static func blur(src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, h: Int, w: Int, c: Int,
                            rows: Range<Int>, filter f: (Float, Float, Float)) {
        msg_blur3(KernelISA.active.rawValue, src, dst, Int32(h), Int32(w), Int32(c), Int32(rows.lowerBound), Int32(rows.upperBound), f.0, f.1, f.2)
    }

    /// The Swift body of `blur`, kept as a second implementation for tests.
    public static func blurSwift(src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, h: Int, w: Int, c: Int,
                                 rows: Range<Int>, filter f: (Float, Float, Float)) {
        let k = [f.0, f.1, f.2]
        for y in rows {
            for x in 0..<w {
                let out = dst + (y * w + x) * c
                out.update(repeating: 0, count: c)
                for ty in 0..<3 {
                    let iy = y + ty - 1
                    guard iy >= 0 && iy < h else { continue }
                    for tx in 0..<3 {
                        let ix = x + tx - 1
                        guard ix >= 0 && ix < w else { continue }
                        let wt = k[ty] * k[tx]
                        let inp = src + (iy * w + ix) * c
                        for ch in 0..<c { out[ch] += wt * inp[ch] }
                    }
                }
            }
        }
    }

    /// Per-channel scale and shift of pass 2 from the layer's sums over `count`
    /// pixels and the style s ([2c]: s0, s1): instance norm (eps inside the
    /// root, as upstream) then modulation. nil style: instance norm alone;
    /// `instanceNorm` false: modulation alone.
    public static func affine(stats: UnsafePointer<Double>, count: Int, c: Int, style: UnsafePointer<Float>?,
                              instanceNorm: Bool, epsilon: Double,
                              scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>) {
        for ch in 0..<c {
            var a = 1.0, b = 0.0
            if instanceNorm {
                let mean = stats[ch] / Double(count)
                let variance = max(stats[c + ch] / Double(count) - mean * mean, 0)
                a = 1 / (variance + epsilon).squareRoot()
                b = -mean * a
            }
            if let style {
                let s0 = Double(style[ch]) + 1, s1 = Double(style[c + ch])
                a *= s0
                b = b * s0 + s1
            }
            scale[ch] = Float(a)
            shift[ch] = Float(b)
        }
    }

    /// Pass 2: rows = rows * scale + shift, per channel.
    @inline(__always)
    public static func applyAffine(rows: UnsafeMutablePointer<Float>, pixels: Int, c: Int,
                                   scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
        msg_style_affine(KernelISA.active.rawValue, rows, Int32(pixels), Int32(c), scale, shift)
    }
}
