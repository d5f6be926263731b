import CMSGKernels
import MSGTensor

/// What a layer needs of scratch memory: per worker (im2col tiles, GEMM output
/// panels that cannot be written in place) and shared by all workers (a
/// Winograd band's transformed input V and products M).
public struct ScratchNeeds: Sendable, Equatable {
    /// Floats of each buffer; `colB` (per worker: a bf16 layer's input rows or
    /// im2col rows) and `bandVb` (a bf16 band's V) hold two bf16 values per float.
    public var col = 0, panel = 0, bandV = 0, bandM = 0, colB = 0, bandVb = 0
    public init(col: Int = 0, panel: Int = 0, bandV: Int = 0, bandM: Int = 0, colB: Int = 0, bandVb: Int = 0) {
        self.col = col; self.panel = panel; self.bandV = bandV; self.bandM = bandM; self.colB = colB; self.bandVb = bandVb
    }
    /// The larger of each need: what serves both layers (one layer runs at a time).
    public func union(_ o: ScratchNeeds) -> ScratchNeeds {
        ScratchNeeds(col: max(col, o.col), panel: max(panel, o.panel), bandV: max(bandV, o.bandV), bandM: max(bandM, o.bandM),
                     colB: max(colB, o.colB), bandVb: max(bandVb, o.bandVb))
    }
}

/// Scratch for conv layers, sized once per (model, batch) by the model's plan
/// and reused by every layer: the hot loop never allocates.
public final class ConvScratch: @unchecked Sendable {
    public let workers: Int
    let col: [AlignedBuffer]
    let panel: [AlignedBuffer]
    let colB: [AlignedBuffer]
    let bandV: AlignedBuffer
    let bandM: AlignedBuffer
    let bandVb: AlignedBuffer

    public init(workers: Int, needs: ScratchNeeds) {
        self.workers = max(1, workers)
        col = (0..<self.workers).map { _ in AlignedBuffer(count: needs.col) }
        panel = (0..<self.workers).map { _ in AlignedBuffer(count: needs.panel) }
        colB = (0..<self.workers).map { _ in AlignedBuffer(count: needs.colB) }
        bandV = AlignedBuffer(count: needs.bandV)
        bandM = AlignedBuffer(count: needs.bandM)
        bandVb = AlignedBuffer(count: needs.bandVb)
    }

    /// Worker `w`'s bf16 rows (a bf16 layer's input rows or im2col rows; only C reads them).
    func colBF16(_ w: Int) -> UnsafeMutablePointer<UInt16> {
        UnsafeMutableRawPointer(colB[w].pointer).assumingMemoryBound(to: UInt16.self)
    }
    /// The bf16 band V (only C reads it).
    var bandVBF16: UnsafeMutablePointer<UInt16> {
        UnsafeMutableRawPointer(bandVb.pointer).assumingMemoryBound(to: UInt16.self)
    }

    /// Worker `w`'s panel, for passes outside conv layers (e.g. to-RGB of a band).
    public func panel(_ w: Int) -> UnsafeMutablePointer<Float> { panel[w].pointer }
}

/// An RGB projection applied to each finished tile of a layer (MSG-GAN's
/// per-scale to-RGB 1x1 conv), writing planar `[3, H, W]` per image.
public struct ToRGB: Sendable {
    public let weights: [Float]   // [C, 3], gain folded
    public let bias: [Float]      // [3]
    /// The same weights as three planes [3, C] (r, g, b), for the fused epilogue.
    public let planes: [Float]
    public init(weights: [Float], bias: [Float]) {
        self.weights = weights; self.bias = bias
        let c = weights.count / 3
        var p = [Float](repeating: 0, count: 3 * c)
        for k in 0..<c { for o in 0..<3 { p[o * c + k] = weights[k * 3 + o] } }
        planes = p
    }
}

/// A finished output tile of a plain (not upsampling) conv, handed to a
/// per-tile hook right after the epilogue, while it is in cache.
public struct ConvTile {
    public var image: Int
    public var index: Int            // tile number within the image (row band)
    public var firstPixel: Int       // row-major index of the tile's first pixel in the image
    public var pixels: Int
    public var rows: UnsafeMutablePointer<Float>   // [pixels, cout]
    public var worker: Int
}

/// One 3x3 conv layer over a batch of NHWC images, optionally reading a
/// nearest-x2-upsampled view of its input without materialising it.
///
/// x: `[N, H, W, Cin]` -> y: `[N, H', W', Cout]`, H' = 2H when `upsample`.
///
/// Each layer of a model runs at one input size, so the layer picks its path
/// once, at construction, and keeps only that path's weights.
public struct ConvLayer: Sendable {
    public let cin: Int
    public let cout: Int
    public let upsample: Bool
    public let epilogue: Epilogue
    public let bias: [Float]
    public let path: Path
    /// The arithmetic this layer runs: `.bf16` only when asked for and the
    /// layer is `bf16Eligible`.
    public let precision: Precision
    /// The direct path's kernels packed for bf16 (msg_conv_direct_pack_bf16),
    /// one per kernel of `.direct`; empty unless `precision == .bf16`.
    let directBF16: [[UInt16]]

    /// How the correlation is computed.
    public enum Path: Sendable {
        /// im2col of a band of rows + one GEMM (3x3, or the 4 phase 2x2 kernels).
        case gemm([PackedGEMM])
        /// The vector kernel straight from the image (few channels).
        case direct([PackedConv])
        /// Winograd F(2x2, 3x3) / F(4x4, 3x3) (plain convs) or F(2x2, 2x2) /
        /// F(4x4, 2x2) on each phase (up-convs).
        case winograd(Winograd)

        public var isGEMM: Bool { if case .gemm = self { true } else { false } }
    }

    /// Which path to take.
    public enum Strategy: Sendable {
        /// Winograd when both sides have >= 64 channels and the input is at
        /// least 16x16 (below that its 16/9 or 9/4 times larger weight matrices
        /// dominate the traffic: an 8x8 -> 16x16 512-channel up-conv ran as fast
        /// on GEMM, 1.57 ms, from 21 MB less weights), and F(4x4, 3x3) for every plain conv from
        /// 32x32 and 16 channels on; the direct vector kernel for the other
        /// convs with few channels (up-convs with < 64 channels, where F(2x2,
        /// 2x2)'s transforms outweigh the saved multiplies); GEMM otherwise
        /// (small images, odd channel counts).
        case auto
        case gemm
        case direct
        case winograd
    }

    /// `inputSize`: the input height/width the layer will run at (for `.auto`).
    /// `precision`: `.bf16` makes the layer's dot products bf16 when it is
    /// `bf16Eligible` (callers check `Precision.require()` first).
    public init(conv: PackedConv, upsample: Bool, epilogue: Epilogue, strategy: Strategy = .auto, inputSize: Int = .max,
                precision: Precision = .fp32) {
        precondition(conv.kh == 3 && conv.kw == 3)
        cin = conv.cin; cout = conv.cout
        self.upsample = upsample
        self.epilogue = epilogue
        bias = conv.bias
        var s = strategy
        if s == .auto {
            let winogradFits = cin >= 64 && cout % 16 == 0 && inputSize >= 16
            // F(4x4, 3x3) does so little work per output that it beats the direct
            // kernel even at 32 channels (measured at 512 px); at 16 outputs the
            // direct kernel's input-stationary blocks win (1024 px: 28 vs 39 ms
            // per thread, C microbenchmark).
            let stationary16 = cout == 16 && msg_conv_direct_stationary(KernelISA.active.rawValue, 3, 3, Int32(cin), Int32(cout)) == 1
            let largeTiles = !upsample && inputSize >= Self.largeTileSize && cin >= 16 && cout % 16 == 0 && !stationary16
            if (winogradFits && cout >= 64) || largeTiles { s = .winograd }
            else if KernelISA.active != .portable && cout % 16 == 0 && cout <= 64 && cin <= 64 { s = .direct }
            else if winogradFits { s = .winograd }
            else { s = .gemm }
        }
        let kernels = upsample ? conv.upsamplePhases() : [conv]
        var layerPrecision = Precision.fp32
        var directBF16: [[UInt16]] = []
        switch s {
        case .direct:
            if precision == .bf16 && Self.bf16Eligible(path: .direct, cin: cin) {
                layerPrecision = .bf16
                directBF16 = kernels.map { k in
                    var p = [UInt16](repeating: 0, count: k.weights.count)
                    k.weights.withUnsafeBufferPointer { msg_conv_direct_pack_bf16($0.baseAddress!, Int32(k.kh * k.kw), Int32(k.cin), Int32(k.cout), &p) }
                    return p
                }
                path = .direct([])   // only the bf16 weights are kept
            } else {
                path = .direct(kernels)
            }
        case .winograd:
            // F(4x4, 3x3) from 32x32 on; below, its 36 weight matrices per layer
            // (4x the kernel) outweigh the saved multiplies.
            // F(4x4, 2x2) for up-convs from 16x16 inputs whose 100 transformed
            // planes stay small; F(2x2, 2x2) for the others.
            let large = upsample ? Self.upsampleLargeTiles(cin: cin, cout: cout, inputSize: inputSize) : inputSize >= Self.largeTileSize
            let kind: Winograd.Kind = upsample ? (large ? .upsample2x2Large : .upsample2x2) : (large ? .plain3x3Large : .plain3x3)
            let bf16 = precision == .bf16 && Self.bf16Eligible(path: .winograd(kind), cin: cin)
            if bf16 { layerPrecision = .bf16 }
            path = .winograd(upsample ? Winograd(phases: kernels, large: large, bf16: bf16) : Winograd(conv, large: large, bf16: bf16))
        case .gemm, .auto:
            let bf16 = precision == .bf16 && Self.bf16Eligible(path: .gemm, cin: cin)
            if bf16 { layerPrecision = .bf16 }
            path = .gemm(kernels.map { PackedGEMM(weights: $0.weights, k: $0.k, n: $0.cout, bf16: bf16) })
        }
        self.precision = layerPrecision
        self.directBF16 = directBF16
    }

    /// Which layers `--precision bf16` runs in bf16 (the others stay float32):
    /// GEMM (im2col), direct convolutions and Winograd F(2x2, .) with an even
    /// number of input channels; Winograd F(4x4, .) only from 64 input
    /// channels. F(4x4, .)'s transforms scale the bf16 rounding of the
    /// transformed input and weights by their large coefficients (1.7% relative
    /// RMS per layer against 0.4% for F(2x2, 3x3) and 0.2% direct;
    /// tools/reference/winograd_bf16_error.py and BF16Tests): in bf16 on every layer, the shipped faces-stylegan-64 put
    /// 0.41% of its 8-bit values more than 2 levels from fp32 (worst 12); with
    /// the rule, whose F(4x4, .) layers there (16-32 channels, at the two
    /// largest scales) stay float32, 0.017% (worst 7), and faces-progan-64
    /// 0.014% (worst 4), seeds 0-499; with 32 as the bound (its 32 px layer in
    /// bf16 F(4x4, 3x3)) 0.41% again (worst 12). From 64 channels on, bf16 F(4x4, .) is
    /// where bf16 Winograd pays on the large models (their 64-512-channel
    /// layers; raw-output error of stylegan-1024 1.9% with 64, 1.6% with 128 as
    /// the bound, against OpenVINO bf16's 35%); bf16 F(2x2, .) in their place
    /// was slower than float32 F(4x4, .) (4 vs 2.25 multiplies per output and
    /// channel pair, halved, and 1.8x the transform work).
    public enum BF16Route: Sendable { case direct, winograd(Winograd.Kind), gemm }
    public static func bf16Eligible(path: BF16Route, cin: Int) -> Bool {
        guard cin % 2 == 0 else { return false }
        switch path {
        case .direct: return true
        case .winograd(.plain3x3), .winograd(.upsample2x2): return true
        case .winograd(.plain3x3Large), .winograd(.upsample2x2Large): return cin >= bf16LargeTileMinCin
        case .gemm: return true
        }
    }
    /// Fewest input channels of a bf16 Winograd F(4x4, .) layer (see `bf16Eligible`).
    public static let bf16LargeTileMinCin = 64

    /// Whether an up-conv's Winograd path takes F(4x4, 2x2): from 16x16 inputs,
    /// when its transformed weights (25 planes per phase, 11x the 3x3 kernel)
    /// come to at most 16 KiB per input pixel. Heavier ones are streamed for
    /// too few tiles to pay for the 30% fewer multiplies, or cost more memory
    /// than they save time (progan-128, `bench --profile`: 256 -> 128 channels
    /// at 64x64, 13 MB: 6.8 -> 6.0 ms; 512 -> 256 at 32x32, 52 MB instead of
    /// 19: 6.2 -> 5.4 ms, but 33 MB more peak memory, which puts the 1024 px
    /// models at the edge of their budget; 512 -> 512 at 16x16, 105 MB: 3.5 ->
    /// 4.6 ms).
    public static func upsampleLargeTiles(cin: Int, cout: Int, inputSize: Int) -> Bool {
        inputSize >= 16 && Winograd.upsampleLargeWeightBytes(cin: cin, cout: cout) <= (16 << 10) * inputSize * inputSize
    }

    /// The path and precision, for `bench --profile` labels: "gemm", "direct",
    /// "F(4x4,3x3)", "F(2x2,2x2)" (per up-conv phase), ..., then " bf16" when bf16.
    public var pathDescription: String {
        let p: String
        switch path {
        case .gemm: p = "gemm"
        case .direct: p = "direct"
        case .winograd(let wg):
            switch wg.kind {
            case .plain3x3: p = "F(2x2,3x3)"
            case .plain3x3Large: p = "F(4x4,3x3)"
            case .upsample2x2: p = "F(2x2,2x2)"
            case .upsample2x2Large: p = "F(4x4,2x2)"
            }
        }
        return precision == .bf16 ? p + " bf16" : p
    }

    /// Smallest input size for Winograd F(4x4, 3x3).
    public static let largeTileSize = 32

    public var gemmK: Int { upsample ? 4 * cin : 9 * cin }

    /// Rows of the (input-resolution) grid per GEMM/direct tile: enough pixels that
    /// each GEMM amortises packing its weights, few enough that im2col stays small.
    public func tileRows(inputWidth w: Int) -> Int {
        let targetPixels = min(max(262_144 / gemmK, 1024), 16_384)
        return max(1, targetPixels / w)
    }

    /// Input rows each work item of an image covers at input size h x w (GEMM and direct paths).
    func rowsPerItem(h: Int, w: Int) -> Int { min(tileRows(inputWidth: w), h) }

    /// Work items (bands of rows, or Winograd chunks) per image at input size
    /// h x w: for a plain conv, the `index` range a hook sees.
    public func tilesPerImage(h: Int, w: Int) -> Int {
        if case .winograd(let wg) = path { return wg.chunksPerImage(h: h, w: w) }
        let rows = rowsPerItem(h: h, w: w)
        return (h + rows - 1) / rows
    }

    /// Scratch this layer needs at input size h x w for `batch` images on `workers` threads.
    public func scratchNeeds(h: Int, w: Int, batch: Int, workers: Int) -> ScratchNeeds {
        switch path {
        case .winograd(let wg):
            let band = wg.bandFloats(h: h, w: w, batch: batch, workers: workers)
            let chunkPixels = (upsample ? 2 * wg.tile : wg.tile) * wg.chunkTileRows(width: w) * (upsample ? 2 * w : w)
            return ScratchNeeds(panel: 3 * chunkPixels, bandV: band.v, bandM: band.m, bandVb: band.vb)
        case .gemm:
            let rows = rowsPerItem(h: h, w: w)
            // bf16: the im2col rows rounded, two values per float.
            let colB = precision == .bf16 ? (rows * w * gemmK + 1) / 2 : 0
            return ScratchNeeds(col: rows * w * gemmK, panel: max(upsample ? rows * w * cout : 0, rows * w * 3), colB: colB)
        case .direct:
            let rows = rowsPerItem(h: h, w: w)
            // bf16: the input rows an item reads (its rows and one more on each side), two values per float.
            let colB = precision == .bf16 ? ((min(rows + 2, h)) * w * cin + 1) / 2 : 0
            return ScratchNeeds(panel: max(upsample ? rows * w * cout : 0, rows * w * 3), colB: colB)
        }
    }

    /// Runs the layer. `rgb`/`rgbOut` (planar `[N, 3, H', W']`) add the to-RGB
    /// projection of each output tile right after its epilogue; `hook` sees
    /// each finished tile of a plain conv (after the epilogue, before to-RGB).
    public func run(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int, h: Int, w: Int,
                    scratch: ConvScratch, threads: Int,
                    rgb: ToRGB? = nil, rgbOut: UnsafeMutablePointer<Float>? = nil,
                    hook: ((ConvTile) -> Void)? = nil) {
        precondition(!upsample || (rgb == nil && hook == nil), "to-RGB and hooks follow plain convs in both families")
        let oh = upsample ? 2 * h : h, ow = upsample ? 2 * w : w
        let inStride = h * w * cin, outStride = oh * ow * cout

        // Epilogue (+ hook, to-RGB) of output rows [o0, o1) of image n, in place.
        func finish(n: Int, index: Int, o0: Int, o1: Int, worker: Int) {
            let yi = y + n * outStride
            let dst = yi + o0 * ow * cout
            let outPixels = (o1 - o0) * ow
            if let hook {
                bias.withUnsafeBufferPointer { epilogue.apply(rows: dst, pixels: outPixels, channels: cout, bias: $0.baseAddress!) }
                hook(ConvTile(image: n, index: index, firstPixel: o0 * ow, pixels: outPixels, rows: dst, worker: worker))
                if let rgb, let rgbOut {
                    Self.project(rgb, rows: dst, pixels: outPixels, channels: cout,
                                 out: rgbOut + n * 3 * oh * ow, planeStride: oh * ow, offset: o0 * ow, panel: scratch.panel[worker].pointer)
                }
            } else {
                // Epilogue and to-RGB in one pass over the hot rows.
                bias.withUnsafeBufferPointer {
                    epilogue.apply(rows: dst, pixels: outPixels, channels: cout, bias: $0.baseAddress!, rgb: rgb,
                                   rgbOut: rgbOut.map { $0 + n * 3 * oh * ow + o0 * ow }, planeStride: oh * ow)
                }
            }
        }

        if case .winograd(let wg) = path {
            wg.run(x: x, y: y, batch: batch, h: h, w: w, v: scratch.bandV.pointer, m: scratch.bandM.pointer, vb: scratch.bandVBF16,
                   threads: min(threads, scratch.workers)) { n, chunk, o0, o1, worker in
                finish(n: n, index: chunk, o0: o0, o1: o1, worker: worker)
            }
            return
        }

        let rows = rowsPerItem(h: h, w: w)
        let tilesPerImage = (h + rows - 1) / rows
        let splitsPhases = upsample
        // bf16 direct up-convs: one item runs all four phases of its band, so
        // the band's input rows are rounded to bf16 once, not once per phase.
        var isDirect = false
        if case .direct = path { isDirect = true }
        let phasesTogether = splitsPhases && precision == .bf16 && isDirect
        let phaseCount = splitsPhases && !phasesTogether ? 4 : 1
        let items = batch * phaseCount * tilesPerImage
        // Split work items over our workers when they balance; otherwise split
        // each GEMM over column blocks. Either way every pixel is computed by the
        // same arithmetic, so an image does not depend on what it is batched with.
        let parallelItems = threads > 1 && (items >= 2 * threads || items % threads == 0)
        let gemmThreads = parallelItems ? 1 : threads

        Workers.run(items: items, workers: parallelItems ? threads : 1) { item, worker in
            // An up-conv's four phases of one band of rows run back to back
            // (and side by side on two workers): the band's input rows are read
            // from memory once, not once per phase.
            let phase = item % phaseCount
            let tile = (item / phaseCount) % tilesPerImage
            let n = item / (tilesPerImage * phaseCount)
            let r0 = tile * rows, r1 = min(h, r0 + rows)
            let pixels = (r1 - r0) * w
            let xi = x + n * inStride, yi = y + n * outStride
            let col = scratch.col[worker].pointer
            let panel = scratch.panel[worker].pointer

            if !splitsPhases {
                let dst = yi + r0 * ow * cout
                switch path {
                case .direct(let k):
                    if precision == .bf16 {
                        directBF16Rows(kernel: 0, x: xi, h: h, w: w, kh: 3, oy: -1, ox: -1, r0: r0, r1: r1, out: dst, scratch: scratch, worker: worker)
                    } else {
                        k[0].weights.withUnsafeBufferPointer { wp in
                            msg_conv_direct(KernelISA.active.rawValue, xi, Int32(h), Int32(w), Int32(cin), wp.baseAddress!, 3, 3, -1, -1, Int32(cout),
                                            Int32(r0), Int32(r1), dst)
                        }
                    }
                case .gemm(let k):
                    Im2col.fill(x: xi, h: h, w: w, cin: cin, kh: 3, kw: 3, oy: -1, ox: -1, rows: r0..<r1, col: col)
                    gemm(k[0], col: col, pixels: pixels, out: dst, threads: gemmThreads, scratch: scratch, worker: worker)
                case .winograd: fatalError("unreachable: Winograd ran above")
                }
                finish(n: n, index: tile, o0: r0, o1: r1, worker: worker)
            } else {
                if phasesTogether { convertBF16Rows(x: xi, h: h, w: w, from: r0 - 1, to: r1 + 1, scratch: scratch, worker: worker) }
                for phase in phasesTogether ? 0..<4 : phase..<(phase + 1) {
                    // One phase (a, b) of an up-conv: output pixels (2y + a, 2x + b).
                    let a = phase >> 1, b = phase & 1
                    switch path {
                    case .direct(let k):
                        if precision == .bf16 {
                            runDirectBF16(kernel: phase, h: h, w: w, kh: 2, oy: a - 1, ox: b - 1, r0: r0, r1: r1, rowsFrom: max(0, r0 - 1), out: panel,
                                          scratch: scratch, worker: worker)
                        } else {
                            k[phase].weights.withUnsafeBufferPointer { wp in
                                msg_conv_direct(KernelISA.active.rawValue, xi, Int32(h), Int32(w), Int32(cin), wp.baseAddress!, 2, 2, Int32(a - 1), Int32(b - 1),
                                                Int32(cout), Int32(r0), Int32(r1), panel)
                            }
                        }
                    case .gemm(let k):
                        Im2col.fill(x: xi, h: h, w: w, cin: cin, kh: 2, kw: 2, oy: a - 1, ox: b - 1, rows: r0..<r1, col: col)
                        gemm(k[phase], col: col, pixels: pixels, out: panel, threads: gemmThreads, scratch: scratch, worker: worker)
                    case .winograd: fatalError("unreachable: Winograd ran above")
                    }
                    bias.withUnsafeBufferPointer { epilogue.apply(rows: panel, pixels: pixels, channels: cout, bias: $0.baseAddress!) }
                    for yy in r0..<r1 {
                        Self.scatterPhaseRow(src: panel + (yy - r0) * w * cout, dst: yi + ((2 * yy + a) * ow + b) * cout, pixels: w, channels: cout)
                    }
                }
            }
        }
    }

    /// Pixel x of a phase's row (`channels` floats each, packed) to pixel 2x
    /// of its output row: vector copies where the channels allow (a call to
    /// memmove per 64-byte pixel was 3-5% of a 1024 px pass).
    @inline(__always)
    static func scatterPhaseRow(src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, pixels: Int, channels c: Int) {
        if c % 16 == 0 {
            let n = c / 16
            let s16 = UnsafeRawPointer(src), d16 = UnsafeMutableRawPointer(dst)
            for x in 0..<pixels {
                for k in 0..<n {
                    let v = s16.loadUnaligned(fromByteOffset: (x * c + 16 * k) * 4, as: SIMD16<Float>.self)
                    d16.storeBytes(of: v, toByteOffset: (2 * x * c + 16 * k) * 4, as: SIMD16<Float>.self)
                }
            }
        } else {
            for x in 0..<pixels { (dst + 2 * x * c).update(from: src + x * c, count: c) }
        }
    }

    /// out = col x W; a bf16 matrix takes the im2col rows rounded to bf16 first.
    private func gemm(_ k: PackedGEMM, col: UnsafeMutablePointer<Float>, pixels: Int, out: UnsafeMutablePointer<Float>,
                      threads: Int, scratch: ConvScratch, worker: Int) {
        if k.bf16 {
            let cb = scratch.colBF16(worker)
            msg_f32_to_bf16(KernelISA.active.rawValue, col, pixels * k.k, cb)
            k.run(aBF16: cb, m: pixels, c: out, threads: threads)
        } else {
            k.run(a: col, m: pixels, c: out, threads: threads)
        }
    }

    /// The bf16 direct path on output rows [r0, r1) of one image x [h, w, cin]:
    /// the input rows they read are rounded to bf16 into the worker's buffer
    /// (while they are hot), then msg_conv_direct_bf16 runs on them.
    private func directBF16Rows(kernel: Int, x: UnsafePointer<Float>, h: Int, w: Int, kh: Int, oy: Int, ox: Int,
                                r0: Int, r1: Int, out: UnsafeMutablePointer<Float>, scratch: ConvScratch, worker: Int) {
        convertBF16Rows(x: x, h: h, w: w, from: r0 + oy, to: r1 + oy + kh - 1, scratch: scratch, worker: worker)
        runDirectBF16(kernel: kernel, h: h, w: w, kh: kh, oy: oy, ox: ox, r0: r0, r1: r1, rowsFrom: max(0, r0 + oy), out: out,
                      scratch: scratch, worker: worker)
    }

    /// Input rows [from, to) of x (clipped to the image) rounded to bf16 into the worker's buffer.
    private func convertBF16Rows(x: UnsafePointer<Float>, h: Int, w: Int, from: Int, to: Int, scratch: ConvScratch, worker: Int) {
        let row0 = max(0, from), rowEnd = min(h, to)
        if rowEnd > row0 {
            msg_f32_to_bf16(KernelISA.active.rawValue, x + row0 * w * cin, (rowEnd - row0) * w * cin, scratch.colBF16(worker))
        }
    }

    /// msg_conv_direct_bf16 on the worker's converted rows (the first is `rowsFrom`).
    private func runDirectBF16(kernel: Int, h: Int, w: Int, kh: Int, oy: Int, ox: Int, r0: Int, r1: Int, rowsFrom row0: Int,
                               out: UnsafeMutablePointer<Float>, scratch: ConvScratch, worker: Int) {
        let xb = scratch.colBF16(worker)
        directBF16[kernel].withUnsafeBufferPointer { wp in
            msg_conv_direct_bf16(KernelISA.active.rawValue, xb, Int32(row0), Int32(h), Int32(w), Int32(cin), wp.baseAddress!,
                                 Int32(kh), Int32(kh), Int32(oy), Int32(ox), Int32(cout), Int32(r0), Int32(r1), out)
        }
    }

    /// out[c, offset + p] = bias[c] + sum_k rows[p, k] * w[k, c] for the tile's pixels.
    public static func project(_ rgb: ToRGB, rows: UnsafePointer<Float>, pixels: Int, channels: Int,
                        out: UnsafeMutablePointer<Float>, planeStride: Int, offset: Int,
                        panel: UnsafeMutablePointer<Float>) {
        rgb.weights.withUnsafeBufferPointer { wp in
            BLAS.sgemm(m: pixels, n: 3, k: channels, a: rows, lda: channels, b: wp.baseAddress!, ldb: 3, c: panel, ldc: 3)
        }
        for c in 0..<3 {
            let plane = out + c * planeStride + offset
            let b = rgb.bias[c]
            for p in 0..<pixels { plane[p] = panel[p * 3 + c] + b }
        }
    }
}
