import Testing
import CMSGKernels
@testable import MSGKernels
import MSGTensor

/// Deterministic pseudo-random floats in [-1, 1) (a tiny LCG; tests need no numpy here).
func noise(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: s >> 11) % 2_000_000) / 1_000_000 - 1
    }
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

struct ConvCase: CustomTestStringConvertible, Sendable {
    var cin: Int, cout: Int, size: Int, batch: Int, upsample: Bool, pixelNorm: Bool, threads: Int
    var testDescription: String { "cin \(cin) cout \(cout) \(size)px batch \(batch)\(upsample ? " up" : "")\(pixelNorm ? " pn" : "") t\(threads)" }
}

extension ConvLayer.Strategy: CustomTestStringConvertible {
    public var testDescription: String { "\(self)" }
}

// The grid STYLE.md asks for: channels 1/3/16/512, sizes 1/4/8/33, odd batch, both thread modes.
let convCases: [ConvCase] = [
    .init(cin: 1, cout: 3, size: 1, batch: 1, upsample: false, pixelNorm: false, threads: 1),
    .init(cin: 3, cout: 16, size: 4, batch: 3, upsample: false, pixelNorm: true, threads: 2),
    .init(cin: 16, cout: 1, size: 33, batch: 1, upsample: false, pixelNorm: true, threads: 2),
    .init(cin: 16, cout: 16, size: 8, batch: 3, upsample: true, pixelNorm: true, threads: 2),
    .init(cin: 3, cout: 3, size: 1, batch: 2, upsample: true, pixelNorm: false, threads: 1),
    .init(cin: 1, cout: 16, size: 33, batch: 1, upsample: true, pixelNorm: true, threads: 2),
    .init(cin: 512, cout: 16, size: 4, batch: 1, upsample: true, pixelNorm: true, threads: 2),
    .init(cin: 16, cout: 512, size: 8, batch: 1, upsample: false, pixelNorm: true, threads: 2),
    // Direct-kernel shapes: 16/32/48/64 output channels, pixel blocks cut by odd widths.
    .init(cin: 32, cout: 16, size: 19, batch: 1, upsample: true, pixelNorm: true, threads: 2),
    .init(cin: 16, cout: 32, size: 13, batch: 3, upsample: false, pixelNorm: false, threads: 2),
    .init(cin: 3, cout: 48, size: 7, batch: 1, upsample: false, pixelNorm: true, threads: 1),
    .init(cin: 64, cout: 64, size: 5, batch: 2, upsample: true, pixelNorm: false, threads: 2),
    // Winograd bands: several bands per image (cin 512 -> 256 tiles per band), odd sizes.
    .init(cin: 512, cout: 8, size: 34, batch: 1, upsample: false, pixelNorm: true, threads: 2),
    .init(cin: 64, cout: 8, size: 17, batch: 3, upsample: false, pixelNorm: true, threads: 2),
    .init(cin: 256, cout: 8, size: 12, batch: 1, upsample: true, pixelNorm: true, threads: 2),
    .init(cin: 64, cout: 24, size: 9, batch: 3, upsample: true, pixelNorm: false, threads: 1),
    // Bands of one image's chunks, run one band per thread (small transformed weights).
    .init(cin: 64, cout: 16, size: 70, batch: 2, upsample: false, pixelNorm: true, threads: 2),
    // F(4x4, 3x3) with the portable input transform (cin % 16 != 0) and partial tiles.
    .init(cin: 3, cout: 16, size: 34, batch: 1, upsample: false, pixelNorm: false, threads: 1),
    // Up-conv phases with many input channels, a partial last tile.
    .init(cin: 128, cout: 16, size: 17, batch: 1, upsample: true, pixelNorm: true, threads: 2),
    // Each shape of the input-stationary direct kernel (16/32 outputs, 3x3 and
    // 2x2 phase kernels, cin 16/32/64): interior blocks of 2 rows and of a last
    // odd row, border columns and rows by the checked kernel.
    .init(cin: 16, cout: 16, size: 29, batch: 2, upsample: false, pixelNorm: true, threads: 2),
    .init(cin: 32, cout: 16, size: 23, batch: 1, upsample: false, pixelNorm: false, threads: 1),
    .init(cin: 32, cout: 32, size: 21, batch: 2, upsample: false, pixelNorm: true, threads: 2),
    .init(cin: 64, cout: 32, size: 19, batch: 1, upsample: false, pixelNorm: true, threads: 2),
    .init(cin: 16, cout: 16, size: 25, batch: 1, upsample: true, pixelNorm: true, threads: 2),
    .init(cin: 32, cout: 32, size: 15, batch: 1, upsample: true, pixelNorm: false, threads: 2),
    .init(cin: 64, cout: 32, size: 18, batch: 2, upsample: true, pixelNorm: true, threads: 1),
    // F(4x4, 2x2) up-conv phases (Winograd from 16x16 inputs): several chunks
    // per image, a partial last tile row and column, two images.
    .init(cin: 16, cout: 32, size: 38, batch: 2, upsample: true, pixelNorm: true, threads: 2),
    // ... with the portable output transform (cout % 16 != 0).
    .init(cin: 16, cout: 8, size: 17, batch: 1, upsample: true, pixelNorm: false, threads: 1),
]

@Test(arguments: convCases, [ConvLayer.Strategy.gemm, .direct, .winograd])
func convLayerMatchesSlowTwin(_ c: ConvCase, _ strategy: ConvLayer.Strategy) {
    let (cin, cout, h) = (c.cin, c.cout, c.size)
    let w = noise(cout * cin * 9, seed: 1)
    let bias = noise(cout, seed: 2)
    let scale: Float = 0.37
    let layer = ConvLayer(conv: PackedConv(torchWeight: w, cout: cout, cin: cin, kh: 3, kw: 3, bias: bias, scale: scale),
                          upsample: c.upsample, epilogue: Epilogue(leakySlope: 0.2, pixelNormEpsilon: c.pixelNorm ? 1e-8 : nil),
                          strategy: strategy, inputSize: h)
    let oh = c.upsample ? 2 * h : h
    let xs = (0..<c.batch).map { noise(cin * h * h, seed: 10 + UInt64($0)) }   // NCHW per image
    var x = [Float](); for img in xs { x += Reference.toNHWC(img, c: cin, h: h, w: h) }
    var y = [Float](repeating: .nan, count: c.batch * oh * oh * cout)
    let scratch = ConvScratch(workers: c.threads, needs: layer.scratchNeeds(h: h, w: h, batch: c.batch, workers: c.threads))
    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
        layer.run(x: xp.baseAddress!, y: yp.baseAddress!, batch: c.batch, h: h, w: h, scratch: scratch, threads: c.threads)
    } }
    for n in 0..<c.batch {
        let input = c.upsample ? Reference.upsample2x(xs[n], c: cin, h: h, w: h) : xs[n]
        var ref = Reference.leakyReLU(Reference.conv2d(input, cin: cin, h: oh, w: oh, weight: w, cout: cout, kh: 3, kw: 3,
                                                       bias: bias, pad: 1, scale: scale))
        if c.pixelNorm { ref = Reference.pixelNorm(ref, c: cout, hw: oh * oh) }
        let got = Reference.toNCHW(Array(y[(n * oh * oh * cout)..<((n + 1) * oh * oh * cout)]), c: cout, h: oh, w: oh)
        // float32 GEMM vs float64 sums of K <= 4608 terms of size ~1: 1e-4 absolute
        // leaves a wide margin over the ~1e-6 rounding actually seen.
        let err = maxAbsDiff(got, ref)
        #expect(err < 1e-4, "image \(n)")
        if strategy != .gemm && n == 0 { print("\(strategy) twin \(c.testDescription): max abs error \(err), max |ref| \(ref.map(abs).max() ?? 0)") }
    }
}

@Test func upsamplePhasesSumToTheKernel() {
    let w = noise(2 * 3 * 9, seed: 5)
    let pc = PackedConv(torchWeight: w, cout: 2, cin: 3, kh: 3, kw: 3, bias: [0, 0], scale: 1)
    let phases = pc.upsamplePhases()
    #expect(phases.count == 4)
    // Every 3x3 tap lands in exactly one 2x2 tap of each phase: the sums agree.
    let total = pc.weights.reduce(0, +)
    for p in phases { #expect(abs(p.weights.reduce(0, +) - total) < 1e-4) }
}

@Test func toRGBProjectionMatchesDotProducts() {
    let c = 16, h = 5
    let x = noise(h * h * c, seed: 7)
    let rgb = ToRGB(weights: noise(c * 3, seed: 8), bias: [0.1, -0.2, 0.3])
    var out = [Float](repeating: 0, count: 3 * h * h)
    var panel = [Float](repeating: 0, count: h * h * 3)
    x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in panel.withUnsafeMutableBufferPointer { pp in
        ConvLayer.project(rgb, rows: xp.baseAddress!, pixels: h * h, channels: c, out: op.baseAddress!, planeStride: h * h, offset: 0, panel: pp.baseAddress!)
    } } }
    for o in 0..<3 { for p in 0..<(h * h) {
        var acc: Float = rgb.bias[o]
        for k in 0..<c { acc += x[p * c + k] * rgb.weights[k * 3 + o] }
        #expect(abs(out[o * h * h + p] - acc) < 1e-5)
    } }
}

@Test func preferredCoreFollowsCPUFlags() {
    let skx = BLAS.cpuFlags(cpuinfo: "processor\t: 0\nflags\t\t: fpu sse avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl\n")
    #expect(BLAS.preferredCore(cpuFlags: skx) == "SkylakeX")
    #expect(BLAS.preferredCore(cpuFlags: ["avx2", "fma"]) == "Haswell")
    #expect(BLAS.preferredCore(cpuFlags: ["sse3"]) == nil)
    #expect(BLAS.cpuFlags(cpuinfo: "no flags here").isEmpty)
}

/// The fused C epilogue (bias, LReLU, PixelNorm, to-RGB) against the Swift body
/// and dot products, for channel counts on and off the vector path, and pixel
/// counts that take the 16-pixel groups, the one-by-one rest, or both.
@Test(arguments: [1, 3, 16, 24, 48, 512], [7, 16, 37])
func fusedEpilogueMatchesSwift(_ c: Int, _ pixels: Int) {
    let x = noise(pixels * c, seed: 61).map { $0 * 3 }, bias = noise(c, seed: 62)
    let rgb = ToRGB(weights: noise(c * 3, seed: 63), bias: [0.5, -0.25, 1])
    for e in [Epilogue(leakySlope: 0.2, pixelNormEpsilon: 1e-8), Epilogue(leakySlope: 0.2)] {
        for withRGB in [true, false] {
            var fused = x, plain = x
            var planes = [Float](repeating: .nan, count: 3 * pixels)
            fused.withUnsafeMutableBufferPointer { f in planes.withUnsafeMutableBufferPointer { p in
                if withRGB {
                    e.apply(rows: f.baseAddress!, pixels: pixels, channels: c, bias: bias, rgb: rgb,
                            rgbOut: p.baseAddress!, planeStride: pixels)
                } else {
                    e.apply(rows: f.baseAddress!, pixels: pixels, channels: c, bias: bias)
                }
            } }
            plain.withUnsafeMutableBufferPointer { e.applySwift(rows: $0.baseAddress!, pixels: pixels, channels: c, bias: bias) }
            #expect(maxAbsDiff(fused, plain) < 1e-5)
            for o in 0..<3 { for p in 0..<pixels {
                if !withRGB { #expect(planes[o * pixels + p].isNaN); continue }
                var acc = rgb.bias[o]
                for k in 0..<c { acc += plain[p * c + k] * rgb.weights[k * 3 + o] }
                #expect(abs(planes[o * pixels + p] - acc) < 1e-4)
            } }
        }
    }
}

/// A hook sees every output pixel of every image once, after the epilogue, and
/// the to-RGB planes it leaves behind equal the fused (hook-less) pass's: on
/// each path, including F(4x4, 3x3) whose chunks are 4 output rows per tile row.
@Test(arguments: [ConvLayer.Strategy.gemm, .direct, .winograd], [17, 40])
func hookSeesEveryPixelAndKeepsToRGB(_ strategy: ConvLayer.Strategy, _ h: Int) {
    let (cin, cout, batch, threads) = (16, 16, 2, 2)
    let layer = ConvLayer(conv: PackedConv(torchWeight: noise(cout * cin * 9, seed: 31), cout: cout, cin: cin, kh: 3, kw: 3,
                                           bias: noise(cout, seed: 32), scale: 0.3),
                          upsample: false, epilogue: Epilogue(leakySlope: 0.2, pixelNormEpsilon: 1e-8),
                          strategy: strategy, inputSize: h)
    let rgb = ToRGB(weights: noise(cout * 3, seed: 33), bias: [0.1, 0.2, -0.3])
    let x = noise(batch * h * h * cin, seed: 34)
    let scratch = ConvScratch(workers: threads, needs: layer.scratchNeeds(h: h, w: h, batch: batch, workers: threads))
    func pass(hooked: Bool) -> (y: [Float], rgb: [Float], seen: [Int]) {
        var y = [Float](repeating: .nan, count: batch * h * h * cout)
        var planes = [Float](repeating: .nan, count: batch * 3 * h * h)
        let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: batch * h * h)
        seen.initialize(repeating: 0)
        defer { seen.deallocate() }
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in planes.withUnsafeMutableBufferPointer { pp in
            let ybase = yp.baseAddress!
            layer.run(x: xp.baseAddress!, y: ybase, batch: batch, h: h, w: h, scratch: scratch, threads: threads,
                      rgb: rgb, rgbOut: pp.baseAddress!, hook: hooked ? { tile in
                          // Rows handed over are the image's own, already through the epilogue.
                          #expect(tile.rows == ybase + (tile.image * h * h + tile.firstPixel) * cout)
                          for p in 0..<tile.pixels { seen[tile.image * h * h + tile.firstPixel + p] += 1 }
                      } : nil)
        } } }
        return (y, planes, Array(seen))
    }
    let fused = pass(hooked: false), hooked = pass(hooked: true)
    #expect(hooked.seen.allSatisfy { $0 == 1 })
    #expect(hooked.y == fused.y)
    #expect(!hooked.rgb.contains { $0.isNaN })
    #expect(maxAbsDiff(hooked.rgb, fused.rgb) < 1e-5)
}

/// The auto rule sends a large 16-output 3x3 conv to the direct kernel exactly
/// when that kernel has input-stationary blocks for the shape, and keeps
/// F(4x4, 3x3) for 32 outputs (where it measured faster).
@Test(arguments: [(16, 16), (32, 16), (32, 32), (48, 16)])
func autoPathFollowsTheStationaryShapes(_ shape: (cin: Int, cout: Int)) {
    let (cin, cout) = shape
    let conv = PackedConv(torchWeight: noise(cout * cin * 9, seed: 41), cout: cout, cin: cin, kh: 3, kw: 3,
                          bias: noise(cout, seed: 42), scale: 1)
    let layer = ConvLayer(conv: conv, upsample: false, epilogue: Epilogue(), inputSize: 1024)
    let stationary = msg_conv_direct_stationary(KernelISA.active.rawValue, 3, 3, Int32(cin), Int32(cout)) == 1
    if KernelISA.active == .avx512 { #expect(stationary == (cin != 48)) } else { #expect(!stationary) }
    switch layer.path {
    case .direct: #expect(stationary && cout == 16)
    case .winograd: #expect(!(stationary && cout == 16))
    case .gemm: Issue.record("a 1024 px \(cin) -> \(cout) conv should not take im2col + GEMM")
    }
}

/// Up-convs on the Winograd path take F(4x4, 2x2) from 16x16 inputs while its
/// transformed weights stay within 16 KiB per input pixel (progan-128's 256 ->
/// 128 at 64x64; not 512 -> 256 at 32x32 or 512 -> 512 at 16x16), and
/// F(2x2, 2x2) below 16x16.
@Test(arguments: [(512, 256, 32, false), (256, 128, 64, true), (128, 64, 128, true), (512, 512, 16, false), (64, 24, 9, false), (16, 32, 38, true)])
func upConvTileSizeFollowsWeightBytes(_ c: (cin: Int, cout: Int, size: Int, large: Bool)) {
    #expect(ConvLayer.upsampleLargeTiles(cin: c.cin, cout: c.cout, inputSize: c.size) == c.large)
    // The layer builds the kind the rule names (small shapes only: building
    // transforms the weights).
    guard c.cin * c.cout <= 4096 else { return }
    let conv = PackedConv(torchWeight: noise(c.cout * c.cin * 9, seed: 43), cout: c.cout, cin: c.cin, kh: 3, kw: 3,
                          bias: noise(c.cout, seed: 44), scale: 1)
    let layer = ConvLayer(conv: conv, upsample: true, epilogue: Epilogue(), strategy: .winograd, inputSize: c.size)
    guard case .winograd(let wg) = layer.path else { Issue.record("not Winograd"); return }
    #expect(wg.kind == (c.large ? .upsample2x2Large : .upsample2x2))
    #expect(wg.positions == (c.large ? 25 : 9) && wg.tile == (c.large ? 4 : 2) && wg.phases == 4)
}

/// Issue 22: a shared band (transformed weights too large for one band per
/// thread) holds whole images only up to `sharedBandFloats` of V + M, or one
/// image: a pass of 8 does not plan 8 images of transformed activations for a
/// 768 -> 128 channel 16x16 layer (6.3 MB of transformed weights; 12 images
/// per band by the tile target alone). A pass of 5 (bands of 2, 2, 1 images)
/// gives each image the bits it gets alone, and matches the GEMM path.
@Test func sharedWinogradBandsAreBoundedInBytes() {
    let cin = 768, cout = 128, size = 16, batch = 5
    let w = noise(cout * cin * 9, seed: 45), bias = noise(cout, seed: 46)
    func layer(_ s: ConvLayer.Strategy) -> ConvLayer {
        ConvLayer(conv: PackedConv(torchWeight: w, cout: cout, cin: cin, kh: 3, kw: 3, bias: bias, scale: 0.05),
                  upsample: false, epilogue: Epilogue(leakySlope: 0.2), strategy: s, inputSize: size)
    }
    let wl = layer(.winograd)
    guard case .winograd(let wg) = wl.path else { Issue.record("not Winograd"); return }
    #expect(!wg.smallWeights)
    let one = wg.bandFloats(h: size, w: size, batch: 1, workers: 2)
    let eight = wg.bandFloats(h: size, w: size, batch: 8, workers: 2)
    #expect(one.v + one.m == 16 * (64 * (cin + cout) + 2 * Winograd.planePad))
    #expect(eight.v + eight.m <= max(Winograd.sharedBandFloats, one.v + one.m))
    #expect(wg.bandLayout(h: size, w: size).imagesPerBand == 2)

    let x = noise(batch * size * size * cin, seed: 47)   // NHWC
    func run(_ l: ConvLayer, _ x: [Float], _ n: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: n * size * size * cout)
        let scratch = ConvScratch(workers: 2, needs: l.scratchNeeds(h: size, w: size, batch: n, workers: 2))
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            l.run(x: xp.baseAddress!, y: yp.baseAddress!, batch: n, h: size, w: size, scratch: scratch, threads: 2)
        } }
        return y
    }
    let together = run(wl, x, batch), viaGEMM = run(layer(.gemm), x, batch)
    let per = size * size * cin, out = size * size * cout
    for n in 0..<batch {
        let alone = run(wl, Array(x[(n * per)..<((n + 1) * per)]), 1)
        #expect(Array(together[(n * out)..<((n + 1) * out)]) == alone, "image \(n)")
    }
    #expect(maxAbsDiff(together, viaGEMM) < 1e-4)
}
