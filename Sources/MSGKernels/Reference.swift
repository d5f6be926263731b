/// Slow, obvious twins of the fast kernels, in upstream's NCHW layout and
/// upstream's order of operations. Tests compare every fast path against these.
public enum Reference {
    /// Cross-correlation, PyTorch Conv2d semantics: x [cin, h, w], w [cout, cin, kh, kw],
    /// zero padding `pad`, stride 1 -> [cout, h + 2pad - kh + 1, w + 2pad - kw + 1].
    public static func conv2d(_ x: [Float], cin: Int, h: Int, w: Int,
                              weight: [Float], cout: Int, kh: Int, kw: Int,
                              bias: [Float]?, pad: Int, scale: Float = 1) -> [Float] {
        let oh = h + 2 * pad - kh + 1, ow = w + 2 * pad - kw + 1
        var y = [Float](repeating: 0, count: cout * oh * ow)
        for co in 0..<cout { for oy in 0..<oh { for ox in 0..<ow {
            var acc: Double = 0
            for ci in 0..<cin { for ty in 0..<kh { for tx in 0..<kw {
                let iy = oy + ty - pad, ix = ox + tx - pad
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                acc += Double(x[(ci * h + iy) * w + ix]) * Double(weight[((co * cin + ci) * kh + ty) * kw + tx] * scale)
            } } }
            y[(co * oh + oy) * ow + ox] = Float(acc) + (bias?[co] ?? 0)
        } } }
        return y
    }

    /// PyTorch ConvTranspose2d of a 1x1 input with a [cin, cout, k, k] kernel, no padding -> [cout, k, k].
    public static func convTransposeFrom1x1(_ z: [Float], weight: [Float], cin: Int, cout: Int, k: Int,
                                            bias: [Float], scale: Float) -> [Float] {
        var y = [Float](repeating: 0, count: cout * k * k)
        for co in 0..<cout { for t in 0..<(k * k) {
            var acc: Double = 0
            for ci in 0..<cin { acc += Double(z[ci]) * Double(weight[(ci * cout + co) * k * k + t] * scale) }
            y[co * k * k + t] = Float(acc) + bias[co]
        } }
        return y
    }

    /// Nearest-neighbour x2 upsampling (torch.nn.functional.interpolate(scale_factor=2)): [c, h, w] -> [c, 2h, 2w].
    public static func upsample2x(_ x: [Float], c: Int, h: Int, w: Int) -> [Float] {
        var y = [Float](repeating: 0, count: c * 4 * h * w)
        for ch in 0..<c { for yy in 0..<(2 * h) { for xx in 0..<(2 * w) {
            y[(ch * 2 * h + yy) * 2 * w + xx] = x[(ch * h + yy / 2) * w + xx / 2]
        } } }
        return y
    }

    public static func leakyReLU(_ x: [Float], slope: Float = 0.2) -> [Float] { x.map { $0 < 0 ? $0 * slope : $0 } }

    /// BMSG-GAN PixelwiseNorm over channels of [c, hw].
    public static func pixelNorm(_ x: [Float], c: Int, hw: Int, eps: Float = 1e-8) -> [Float] {
        var y = x
        for p in 0..<hw {
            var ss: Double = 0
            for ch in 0..<c { ss += Double(x[ch * hw + p]) * Double(x[ch * hw + p]) }
            let d = Float((ss / Double(c) + Double(eps)).squareRoot())
            for ch in 0..<c { y[ch * hw + p] = x[ch * hw + p] / d }
        }
        return y
    }

    /// NCHW [c, h, w] <-> NHWC [h, w, c].
    public static func toNHWC(_ x: [Float], c: Int, h: Int, w: Int) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for ch in 0..<c { for p in 0..<(h * w) { y[p * c + ch] = x[ch * h * w + p] } }
        return y
    }

    public static func toNCHW(_ x: [Float], c: Int, h: Int, w: Int) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for ch in 0..<c { for p in 0..<(h * w) { y[ch * h * w + p] = x[p * c + ch] } }
        return y
    }
}

// MARK: - StyleGAN v1 epilogue, in upstream's order (NCHW, one image)

extension Reference {
    /// [1,2,1]-style blur: the outer product of `f` normalised to sum 1, depthwise, zero padding 1.
    public static func blur(_ x: [Float], c: Int, h: Int, w: Int, filter f: [Float]) -> [Float] {
        var k = [Double](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { k[i * 3 + j] = Double(f[i]) * Double(f[j]) } }
        let s = k.reduce(0, +)
        var y = [Float](repeating: 0, count: x.count)
        for ch in 0..<c { for yy in 0..<h { for xx in 0..<w {
            var acc = 0.0
            for ty in 0..<3 { for tx in 0..<3 {
                let iy = yy + ty - 1, ix = xx + tx - 1
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                acc += Double(x[(ch * h + iy) * w + ix]) * k[ty * 3 + tx] / s
            } }
            y[(ch * h + yy) * w + xx] = Float(acc)
        } } }
        return y
    }

    /// noise -> bias -> LReLU -> instance norm -> style modulation ([c, hw]).
    public static func styleEpilogue(_ x: [Float], c: Int, hw: Int, noise: [Float]?, noiseWeight: [Float]?,
                                     bias: [Float], style: [Float]?, instanceNorm: Bool = true) -> [Float] {
        var y = x
        for ch in 0..<c { for p in 0..<hw {
            var v = Double(y[ch * hw + p])
            if let noise, let noiseWeight { v += Double(noise[p]) * Double(noiseWeight[ch]) }
            v += Double(bias[ch])
            y[ch * hw + p] = Float(v < 0 ? v * 0.2 : v)
        } }
        for ch in 0..<c {
            let plane = (0..<hw).map { Double(y[ch * hw + $0]) }
            var mean = 0.0, inv = 1.0
            if instanceNorm {
                mean = plane.reduce(0, +) / Double(hw)
                inv = 1 / (plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(hw) + 1e-8).squareRoot()
            }
            for p in 0..<hw {
                var v = (plane[p] - mean) * inv
                if let style { v = v * (Double(style[ch]) + 1) + Double(style[c + ch]) }
                y[ch * hw + p] = Float(v)
            }
        }
        return y
    }
}
