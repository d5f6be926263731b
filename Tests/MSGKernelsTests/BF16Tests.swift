import Testing
import CMSGKernels
@testable import MSGKernels

/// `--precision bf16`: the rounding, the bf16 kernels (vector bodies against
/// their portable twins, which run on every CPU), and bf16 conv layers against
/// the float64 slow twin (Reference.swift) with bf16's own tolerance.

/// float -> bf16 as the kernels round (to nearest, ties to even), written
/// independently of the C helper: the bits a bf16 keeps, then the remainder.
func bf16Rounded(_ x: Float) -> Float {
    if x.isNaN { return x }
    let u = x.bitPattern, hi = u & 0xFFFF_0000, rest = u & 0xFFFF
    let up = rest > 0x8000 || (rest == 0x8000 && (hi >> 16) & 1 == 1)
    return Float(bitPattern: up ? hi &+ 0x1_0000 : hi)
}

func bf16Bits(_ xs: [Float], isa: KernelISA) -> [UInt16] {
    var out = [UInt16](repeating: 0, count: xs.count)
    msg_f32_to_bf16(isa.rawValue, xs, xs.count, &out)
    return out
}

@Test func bf16RoundingIsToNearestEven() {
    let specials: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .greatestFiniteMagnitude, 1e-30, -3.5e20,
                             Float(bitPattern: 0x3F80_8000),   // a tie, even below: stays 1
                             Float(bitPattern: 0x3F81_8000),   // a tie, odd below: rounds up
                             Float(bitPattern: 0x3F80_8001), Float(bitPattern: 0x3F80_7FFF)]
    let xs = specials + noise(1000, seed: 77).map { $0 * 37 }
    for isa in [KernelISA.portable, .avx512] where isa.isSupported {
        let bits = bf16Bits(xs, isa: isa)
        for (x, b) in zip(xs, bits) {
            #expect(Float(bitPattern: UInt32(b) << 16) == bf16Rounded(x), "\(isa) \(x)")
        }
        #expect(Float(bitPattern: UInt32(bf16Bits([.nan], isa: isa)[0]) << 16).isNaN)
    }
    // The largest finite float rounds to infinity, as the instruction does.
    #expect(bf16Rounded(.greatestFiniteMagnitude) == .infinity)
}

/// msg_wgemm_bf16 against float64 sums of the bf16-rounded terms: the only
/// difference is float32 accumulation, so the error is bounded by a few ulps
/// of the sum of |terms|. Vector and portable bodies give the same bits (the
/// same order of the same roundings).
@Test(arguments: [(2, 16, 1), (16, 32, 13), (34, 48, 14), (64, 64, 29), (128, 16, 3)])
func bf16WinogradGEMMMatchesTwinAndFloat64(_ shape: (Int, Int, Int)) {
    let (cin, cout, tiles) = shape
    let v = noise(tiles * cin, seed: 3).map { $0 * 4 }, u = noise(cin * cout, seed: 4)
    let vb = bf16Bits(v, isa: .portable)
    var packed = [UInt16](repeating: 0, count: cin * cout)
    msg_wgemm_pack_bf16(u, Int32(cin), Int32(cout), &packed)
    let blocks = Int32((cout + 31) / 32)
    func run(_ isa: KernelISA) -> [Float] {
        var m = [Float](repeating: .nan, count: tiles * cout)
        msg_wgemm_bf16(isa.rawValue, vb, Int32(tiles), Int32(cin), packed, Int32(cout), 0, blocks, &m)
        return m
    }
    let twin = run(.portable)
    for t in 0..<tiles { for co in 0..<cout {
        var sum = 0.0, mag = 0.0
        for ci in 0..<cin {
            let term = Double(bf16Rounded(v[t * cin + ci])) * Double(bf16Rounded(u[ci * cout + co]))
            sum += term; mag += abs(term)
        }
        #expect(abs(Double(twin[t * cout + co]) - sum) <= 1e-6 * max(mag, 1), "tile \(t) channel \(co)")
    } }
    if Precision.bf16Supported {
        #expect(run(.avx512) == twin, "VDPBF16PS body differs from its portable twin")
    }
}

/// msg_conv_direct_bf16 on rows [r0, r1) of an image whose converted rows
/// start at row0, against float64 sums of the rounded terms; the pixel-block
/// vector body gives the twin's bits, the input-stationary one (16/32 outputs,
/// cin 16/32/64) the same sums in another order.
@Test(arguments: [(3, 16, 16), (3, 32, 16), (2, 32, 32), (3, 64, 32), (3, 8, 48), (2, 4, 64), (3, 16, 16 + 16)])
func bf16DirectConvMatchesTwinAndFloat64(_ shape: (Int, Int, Int)) {
    let (k, cin, cout) = shape
    let h = 9, w = 23, r0 = 2, r1 = 7, oy = k == 3 ? -1 : 0, ox = -1
    let x = noise(h * w * cin, seed: 5), wt = noise(k * k * cin * cout, seed: 6)
    let row0 = max(0, r0 + oy), rowEnd = min(h, r1 + oy + k - 1)
    let xb = bf16Bits(Array(x[(row0 * w * cin)..<(rowEnd * w * cin)]), isa: .portable)
    var packed = [UInt16](repeating: 0, count: wt.count)
    msg_conv_direct_pack_bf16(wt, Int32(k * k), Int32(cin), Int32(cout), &packed)
    func run(_ isa: KernelISA) -> [Float] {
        var out = [Float](repeating: .nan, count: (r1 - r0) * w * cout)
        msg_conv_direct_bf16(isa.rawValue, xb, Int32(row0), Int32(h), Int32(w), Int32(cin), packed, Int32(k), Int32(k),
                             Int32(oy), Int32(ox), Int32(cout), Int32(r0), Int32(r1), &out)
        return out
    }
    let twin = run(.portable)
    var worst = 0.0
    for y in r0..<r1 { for xo in 0..<w { for co in 0..<cout {
        var sum = 0.0, mag = 0.0
        for ty in 0..<k { for tx in 0..<k {
            let iy = y + oy + ty, ix = xo + ox + tx
            guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
            for ci in 0..<cin {
                let term = Double(bf16Rounded(x[(iy * w + ix) * cin + ci])) * Double(bf16Rounded(wt[((ty * k + tx) * cin + ci) * cout + co]))
                sum += term; mag += abs(term)
            }
        } }
        let got = Double(twin[((y - r0) * w + xo) * cout + co])
        worst = max(worst, abs(got - sum) / max(mag, 1))
    } } }
    #expect(worst <= 1e-6, "portable twin vs float64: \(worst)")
    if Precision.bf16Supported {
        let vec = run(.avx512)
        let stationary = msg_conv_direct_stationary(KernelISA.avx512.rawValue, Int32(k), Int32(k), Int32(cin), Int32(cout)) == 1
        if stationary {
            #expect(maxAbsDiff(vec, twin) <= 1e-4, "stationary body vs twin")
        } else {
            #expect(vec == twin, "pixel-block body differs from its portable twin")
        }
    }
}

/// Whole bf16 layers (direct and Winograd, plain and up-convs) against the
/// float64 slow twin. Tolerances: direct and F(2x2, .) 1% relative RMS error,
/// the worst value 5% of the largest output (bf16 keeps 8 significant bits;
/// measured 0.2%); F(4x4, .) 3% and 10% (its transforms scale the rounding:
/// measured 1.4-1.6%, 1.7% in the numpy model). F(4x4, .) on fewer than 64
/// channels and odd cin stay float32, bit for bit the
/// float32 layer; GEMM (im2col) layers take bf16 rows and weights.
@Test(arguments: [
    ConvCase(cin: 16, cout: 16, size: 29, batch: 2, upsample: false, pixelNorm: true, threads: 2),   // direct, stationary
    ConvCase(cin: 32, cout: 32, size: 15, batch: 1, upsample: true, pixelNorm: false, threads: 2),   // direct up, phases together
    ConvCase(cin: 16, cout: 48, size: 13, batch: 3, upsample: false, pixelNorm: false, threads: 1),  // direct, pixel blocks
    ConvCase(cin: 64, cout: 64, size: 12, batch: 2, upsample: false, pixelNorm: true, threads: 2),   // Winograd F(2x2, 3x3)
    ConvCase(cin: 256, cout: 64, size: 16, batch: 2, upsample: true, pixelNorm: false, threads: 1),  // F(2x2, 2x2)
    ConvCase(cin: 256, cout: 32, size: 16, batch: 1, upsample: true, pixelNorm: false, threads: 2),  // F(4x4, 2x2) in bf16
    ConvCase(cin: 64, cout: 24, size: 9, batch: 3, upsample: true, pixelNorm: false, threads: 1),    // GEMM (im2col), up
    ConvCase(cin: 512, cout: 48, size: 4, batch: 2, upsample: false, pixelNorm: true, threads: 2),   // GEMM, plain
    ConvCase(cin: 128, cout: 64, size: 34, batch: 1, upsample: false, pixelNorm: true, threads: 2),  // F(4x4, 3x3) in bf16
    ConvCase(cin: 128, cout: 64, size: 17, batch: 1, upsample: true, pixelNorm: true, threads: 2),   // F(4x4, 2x2) in bf16
    ConvCase(cin: 64, cout: 64, size: 34, batch: 1, upsample: false, pixelNorm: true, threads: 2),   // F(4x4, 3x3) bf16 from 64
    ConvCase(cin: 32, cout: 32, size: 34, batch: 1, upsample: false, pixelNorm: true, threads: 2),   // F(4x4, 3x3) stays fp32
    ConvCase(cin: 3, cout: 16, size: 20, batch: 1, upsample: false, pixelNorm: false, threads: 1),   // odd cin stays fp32
])
func bf16ConvLayerMatchesSlowTwin(_ c: ConvCase) {
    let (cin, cout, h) = (c.cin, c.cout, c.size)
    let w = noise(cout * cin * 9, seed: 1), bias = noise(cout, seed: 2)
    let conv = PackedConv(torchWeight: w, cout: cout, cin: cin, kh: 3, kw: 3, bias: bias, scale: 0.37)
    let epilogue = Epilogue(leakySlope: 0.2, pixelNormEpsilon: c.pixelNorm ? 1e-8 : nil)
    let layer = ConvLayer(conv: conv, upsample: c.upsample, epilogue: epilogue, inputSize: h, precision: .bf16)
    let fp32 = ConvLayer(conv: conv, upsample: c.upsample, epilogue: epilogue, inputSize: h)
    let oh = c.upsample ? 2 * h : h
    let xs = (0..<c.batch).map { noise(cin * h * h, seed: 10 + UInt64($0)) }
    var x = [Float](); for img in xs { x += Reference.toNHWC(img, c: cin, h: h, w: h) }
    func run(_ l: ConvLayer) -> [Float] {
        var y = [Float](repeating: .nan, count: c.batch * oh * oh * cout)
        let scratch = ConvScratch(workers: c.threads, needs: l.scratchNeeds(h: h, w: h, batch: c.batch, workers: c.threads))
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            l.run(x: xp.baseAddress!, y: yp.baseAddress!, batch: c.batch, h: h, w: h, scratch: scratch, threads: c.threads)
        } }
        return y
    }
    var large = false, gemm = false
    switch layer.path {
    case .winograd(let wg): large = wg.tile == 4
    case .gemm: gemm = true
    case .direct: break
    }
    let expectBF16 = cin % 2 == 0 && (!large || cin >= ConvLayer.bf16LargeTileMinCin)
    #expect(layer.precision == (expectBF16 ? .bf16 : .fp32), "\(gemm ? "GEMM" : large ? "F(4x4, .)" : "direct / F(2x2, .)") layer")
    let y = run(layer)
    if !expectBF16 {
        let same = y == run(fp32)
        #expect(same, "a float32 layer must stay bit for bit float32")
        return
    }
    for n in 0..<c.batch {
        let input = c.upsample ? Reference.upsample2x(xs[n], c: cin, h: h, w: h) : xs[n]
        var ref = Reference.leakyReLU(Reference.conv2d(input, cin: cin, h: oh, w: oh, weight: w, cout: cout, kh: 3, kw: 3,
                                                       bias: bias, pad: 1, scale: 0.37))
        if c.pixelNorm { ref = Reference.pixelNorm(ref, c: cout, hw: oh * oh) }
        let got = Reference.toNCHW(Array(y[(n * oh * oh * cout)..<((n + 1) * oh * oh * cout)]), c: cout, h: oh, w: oh)
        let num = zip(got, ref).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        let den = ref.reduce(0.0) { $0 + Double($1 * $1) }
        let rms = (num / den).squareRoot(), peak = ref.map(abs).max() ?? 1
        #expect(rms < (large ? 0.03 : 0.01), "image \(n): relative RMS error \(rms)")
        #expect(maxAbsDiff(got, ref) < (large ? 0.1 : 0.05) * peak, "image \(n)")
        if n == 0 { print("bf16 \(c.testDescription): relative RMS error \(rms), worst \(maxAbsDiff(got, ref) / peak) of the peak") }
    }
}

@Test func bf16NeedsTheInstructionOrSaysSo() {
    if Precision.bf16Supported && KernelISA.active == .avx512 {
        #expect(throws: Never.self) { try Precision.bf16.require() }
    } else {
        #expect(throws: PrecisionError.self) { try Precision.bf16.require() }
    }
    #expect(throws: Never.self) { try Precision.fp32.require() }
}

/// The input transforms that store bf16 V: each value is the float32
/// transform's (same ISA) rounded to bf16, on interior and border tiles, both
/// phases' offsets, for the vector bodies (AVX512-BF16) and the slow path.
@Test(arguments: [KernelISA.portable, .avx512])
func bf16InputTransformsRoundTheFloat32Ones(_ isa: KernelISA) {
    guard isa.isSupported else { return }
    let h = 11, w = 13, c = 32, tr0 = 1
    let x = noise(h * w * c, seed: 21)
    typealias F32 = (Int32, Int32, Int32, UnsafeMutablePointer<Float>, Int) -> Void
    typealias B16 = (Int32, Int32, Int32, UnsafeMutablePointer<UInt16>, Int) -> Int32
    // (name, tile, positions, float32 transform, bf16 transform); the Int32s: tr1, a, b.
    let kinds: [(String, Int, Int, F32, B16)] = [
        ("F(2x2, 3x3)", 2, 16, { tr1, _, _, v, s in msg_wino_input(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, v, s) },
         { tr1, _, _, v, s in msg_wino_input_bf16(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, v, s) }),
        ("F(4x4, 3x3)", 4, 36, { tr1, _, _, v, s in msg_wino43_input(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, v, s) },
         { tr1, _, _, v, s in msg_wino43_input_bf16(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, v, s) }),
        ("F(2x2, 2x2)", 2, 9, { tr1, a, b, v, s in msg_wino22_input(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, a, b, v, s) },
         { tr1, a, b, v, s in msg_wino22_input_bf16(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, a, b, v, s) }),
        ("F(4x4, 2x2)", 4, 25, { tr1, a, b, v, s in msg_wino42_input(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, a, b, v, s) },
         { tr1, a, b, v, s in msg_wino42_input_bf16(isa.rawValue, x, Int32(h), Int32(w), Int32(c), Int32(tr0), tr1, a, b, v, s) }),
    ]
    for (name, tile, positions, f32, b16) in kinds {
        let rows = (h + tile - 1) / tile, tr1 = Int32(rows), tiles = (rows - tr0) * ((w + tile - 1) / tile)
        let stride = tiles * c + 8
        for (a, b) in [(0, 0), (1, 1)] {
            var vf = [Float](repeating: .nan, count: positions * stride)
            var vb = [UInt16](repeating: 0xFFFF, count: positions * stride)
            vf.withUnsafeMutableBufferPointer { f32(tr1, Int32(a), Int32(b), $0.baseAddress!, stride) }
            let rc = vb.withUnsafeMutableBufferPointer { b16(tr1, Int32(a), Int32(b), $0.baseAddress!, stride) }
            #expect(rc == 0)
            for xi in 0..<positions {
                let plane = Array(vf[(xi * stride)..<(xi * stride + tiles * c)])
                #expect(Array(vb[(xi * stride)..<(xi * stride + tiles * c)]) == bf16Bits(plane, isa: .portable), "\(name) \(isa) position \(xi)")
            }
        }
    }
}
