/// A KxK cross-correlation packed for `col * weights`, the GEMM form of a conv.
///
/// weights: `[kh * kw * cin, cout]` row-major, row `(ty * kw + tx) * cin + ci`;
/// the matching im2col row of an output pixel holds the `kh * kw` input pixels
/// it reads, each as `cin` contiguous channels (NHWC).
public struct PackedConv: Sendable {
    public let cin: Int
    public let cout: Int
    public let kh: Int
    public let kw: Int
    public var weights: [Float]
    public var bias: [Float]

    public var k: Int { kh * kw * cin }

    public init(cin: Int, cout: Int, kh: Int, kw: Int, weights: [Float], bias: [Float]) {
        precondition(weights.count == kh * kw * cin * cout && bias.count == cout)
        self.cin = cin; self.cout = cout; self.kh = kh; self.kw = kw
        self.weights = weights; self.bias = bias
    }

    /// From PyTorch's Conv2d layout `[out, in, kh, kw]`, each weight times `scale`
    /// (equalized learning rate folded once, in float32 as PyTorch computes it).
    public init(torchWeight w: [Float], cout: Int, cin: Int, kh: Int, kw: Int, bias: [Float], scale: Float) {
        var p = [Float](repeating: 0, count: kh * kw * cin * cout)
        for co in 0..<cout { for ci in 0..<cin { for ty in 0..<kh { for tx in 0..<kw {
            p[((ty * kw + tx) * cin + ci) * cout + co] = w[((co * cin + ci) * kh + ty) * kw + tx] * scale
        } } } }
        self.init(cin: cin, cout: cout, kh: kh, kw: kw, weights: p, bias: bias)
    }

    /// From TensorFlow's conv layout `[kh, kw, in, out]`, times `scale`; `flipped`
    /// mirrors both spatial axes (upstream's fused up-conv is a flipped correlation).
    public init(tfWeight w: [Float], kh: Int, kw: Int, cin: Int, cout: Int, bias: [Float], scale: Float, flipped: Bool = false) {
        var p = [Float](repeating: 0, count: kh * kw * cin * cout)
        for ty in 0..<kh { for tx in 0..<kw {
            let sy = flipped ? kh - 1 - ty : ty, sx = flipped ? kw - 1 - tx : tx
            for ci in 0..<cin { for co in 0..<cout {
                p[((ty * kw + tx) * cin + ci) * cout + co] = w[((sy * kw + sx) * cin + ci) * cout + co] * scale
            } }
        } }
        self.init(cin: cin, cout: cout, kh: kh, kw: kw, weights: p, bias: bias)
    }

    /// The four 2x2 kernels, one per output phase (a, b) = (row, col) parity,
    /// whose correlation with the low-resolution input equals nearest x2
    /// upsampling followed by this 3x3 correlation (pad 1): 4/9 of the work.
    ///
    /// Output row 2y+a reads upsampled rows 2y+a-1 ... 2y+a+1, i.e. input rows
    /// y + ((a + ty + 1) >> 1) - 1 for ty = 0, 1, 2: two distinct rows, the
    /// taps landing on the same row summed. Index of a phase: a * 2 + b; its
    /// 2x2 window starts at input (y + a - 1, x + b - 1).
    public func upsamplePhases() -> [PackedConv] {
        precondition(kh == 3 && kw == 3, "phase decomposition is for 3x3 kernels")
        var phases: [PackedConv] = []
        for a in 0..<2 { for b in 0..<2 {
            var p = [Float](repeating: 0, count: 4 * cin * cout)
            for ty in 0..<3 { for tx in 0..<3 {
                let dy = ((a + ty + 1) >> 1) - a, dx = ((b + tx + 1) >> 1) - b
                let src = (ty * 3 + tx) * cin * cout, dst = (dy * 2 + dx) * cin * cout
                for i in 0..<(cin * cout) { p[dst + i] += weights[src + i] }
            } }
            phases.append(PackedConv(cin: cin, cout: cout, kh: 2, kw: 2, weights: p, bias: bias))
        } }
        return phases
    }
}
