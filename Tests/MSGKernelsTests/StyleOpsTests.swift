import Testing
@testable import MSGKernels

/// StyleGAN's fused two-pass epilogue and blur against their slow twins in
/// Reference (upstream order: noise, bias, LReLU, instance norm, style).
struct StyleCaseK: CustomTestStringConvertible, Sendable {
    var c: Int, size: Int, noise: Bool, style: Bool, bands: Int
    var testDescription: String { "c \(c) \(size)px noise \(noise) style \(style) bands \(bands)" }
}

@Test(arguments: [
    StyleCaseK(c: 1, size: 1, noise: true, style: true, bands: 1),
    StyleCaseK(c: 3, size: 4, noise: false, style: true, bands: 2),
    StyleCaseK(c: 16, size: 33, noise: true, style: false, bands: 5),
    StyleCaseK(c: 512, size: 8, noise: true, style: true, bands: 3),
])
func styleEpilogueMatchesSlowTwin(_ k: StyleCaseK) {
    let hw = k.size * k.size, c = k.c
    let x = noise(hw * c, seed: 21).map { $0 * 3 }              // NCHW
    let nz = noise(hw, seed: 22), nw = noise(c, seed: 23), bias = noise(c, seed: 24)
    let style = noise(2 * c, seed: 25)
    var rows = Reference.toNHWC(x, c: c, h: k.size, w: k.size)
    // Pass 1 in bands (as the engine splits a layer), sums per band, reduced in order.
    let perBand = (k.size + k.bands - 1) / k.bands
    var total = [Double](repeating: 0, count: 2 * c)
    var r0 = 0
    while r0 < k.size {
        let r1 = min(k.size, r0 + perBand)
        var stats = [Double](repeating: 0, count: 2 * c)
        rows.withUnsafeMutableBufferPointer { rp in nz.withUnsafeBufferPointer { np in nw.withUnsafeBufferPointer { wp in
            bias.withUnsafeBufferPointer { bp in stats.withUnsafeMutableBufferPointer { sp in
                StyleOps.noiseBiasAct(rows: rp.baseAddress! + r0 * k.size * c, pixels: (r1 - r0) * k.size, c: c,
                                      noise: k.noise ? np.baseAddress! + r0 * k.size : nil, noiseWeight: k.noise ? wp.baseAddress! : nil,
                                      bias: bp.baseAddress!, slope: 0.2, pixelNormEpsilon: nil, stats: sp.baseAddress!)
            } }
        } } }
        for j in 0..<(2 * c) { total[j] += stats[j] }
        r0 = r1
    }
    var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
    total.withUnsafeBufferPointer { tp in style.withUnsafeBufferPointer { sp in
        StyleOps.affine(stats: tp.baseAddress!, count: hw, c: c, style: k.style ? sp.baseAddress! : nil,
                        instanceNorm: true, epsilon: 1e-8, scale: &scale, shift: &shift)
    } }
    rows.withUnsafeMutableBufferPointer { rp in
        StyleOps.applyAffine(rows: rp.baseAddress!, pixels: hw, c: c, scale: scale, shift: shift)
    }
    let want = Reference.styleEpilogue(x, c: c, hw: hw, noise: k.noise ? nz : nil, noiseWeight: k.noise ? nw : nil,
                                       bias: bias, style: k.style ? style : nil)
    let got = Reference.toNCHW(rows, c: c, h: k.size, w: k.size)
    if hw == 1 {
        // One pixel: instance norm gives exactly zero (then the style's shift).
        #expect(maxAbsDiff(got, want) < 1e-3)
    } else {
        // sum/sum-of-squares in float64 vs upstream's two-pass float math: 1e-4
        // relative to values of magnitude ~3 after normalisation and style.
        #expect(maxAbsDiff(got, want) < 2e-4)
    }
}

@Test(arguments: [(1, 1), (3, 4), (16, 33), (512, 5), (32, 9)], [false, true])
func blurMatchesSlowTwin(_ cs: (Int, Int), _ swift: Bool) {
    let (c, size) = cs
    let x = noise(c * size * size, seed: 31)
    let src = Reference.toNHWC(x, c: c, h: size, w: size)
    var dst = [Float](repeating: .nan, count: src.count)
    src.withUnsafeBufferPointer { sp in dst.withUnsafeMutableBufferPointer { dp in
        // Two bands, to cross a band edge.
        let mid = size / 2
        let blur = swift ? StyleOps.blurSwift : StyleOps.blur
        blur(sp.baseAddress!, dp.baseAddress!, size, size, c, 0..<mid, (0.25, 0.5, 0.25))
        blur(sp.baseAddress!, dp.baseAddress!, size, size, c, mid..<size, (0.25, 0.5, 0.25))
    } }
    let want = Reference.blur(x, c: c, h: size, w: size, filter: [1, 2, 1])
    #expect(maxAbsDiff(Reference.toNCHW(dst, c: c, h: size, w: size), want) < 1e-6)
}

@Test func fusedUpConvIsTheFlippedKernel() {
    // PackedConv(flipped:) mirrors both spatial axes of a TF [kh, kw, in, out] kernel.
    let w = noise(3 * 3 * 2 * 1, seed: 41)
    let plain = PackedConv(tfWeight: w, kh: 3, kw: 3, cin: 2, cout: 1, bias: [0], scale: 1)
    let flip = PackedConv(tfWeight: w, kh: 3, kw: 3, cin: 2, cout: 1, bias: [0], scale: 1, flipped: true)
    for ty in 0..<3 { for tx in 0..<3 { for ci in 0..<2 {
        #expect(flip.weights[(ty * 3 + tx) * 2 + ci] == plain.weights[((2 - ty) * 3 + (2 - tx)) * 2 + ci])
    } } }
}

@Test func pixelNormPassMatchesSlowTwin() {
    // use_pixel_norm: noise, bias, LReLU, then PixelNorm over channels (upstream's order).
    let c = 24, hw = 10
    let x = noise(hw * c, seed: 51).map { $0 * 2 }
    let nz = noise(hw, seed: 52), nw = noise(c, seed: 53), bias = noise(c, seed: 54)
    var rows = Reference.toNHWC(x, c: c, h: 1, w: hw)
    var stats = [Double](repeating: 0, count: 2 * c)
    rows.withUnsafeMutableBufferPointer { rp in
        StyleOps.noiseBiasAct(rows: rp.baseAddress!, pixels: hw, c: c, noise: nz, noiseWeight: nw, bias: bias,
                              slope: 0.2, pixelNormEpsilon: 1e-8, stats: &stats)
    }
    var pre = x
    for ch in 0..<c { for p in 0..<hw { pre[ch * hw + p] += nz[p] * nw[ch] + bias[ch] } }
    let want = Reference.pixelNorm(Reference.leakyReLU(pre), c: c, hw: hw)
    #expect(maxAbsDiff(Reference.toNCHW(rows, c: c, h: 1, w: hw), want) < 1e-5)
    // The statistics are of the normalised values.
    let sum0 = (0..<hw).reduce(0.0) { $0 + Double(want[$1]) }
    #expect(abs(stats[0] - sum0) < 1e-4)
}
