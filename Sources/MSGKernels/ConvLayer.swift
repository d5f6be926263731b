import CMSGKernels
import MSGTensor

/// Per-worker scratch for conv layers, sized once per (model, batch) by the
/// model's plan and reused by every layer: the hot loop never allocates.
public final class ConvScratch: @unchecked Sendable {
    public let workers: Int
    let col: [AlignedBuffer]
    let panel: [AlignedBuffer]

    /// colFloats: largest im2col tile; panelFloats: largest GEMM output tile
    /// that cannot be written in place (up-conv phases, to-RGB).
    public init(workers: Int, colFloats: Int, panelFloats: Int) {
        self.workers = max(1, workers)
        col = (0..<self.workers).map { _ in AlignedBuffer(count: colFloats) }
        panel = (0..<self.workers).map { _ in AlignedBuffer(count: panelFloats) }
    }

    /// Worker `w`'s panel, for passes outside conv layers (e.g. to-RGB of a band).
    public func panel(_ w: Int) -> UnsafeMutablePointer<Float> { panel[w].pointer }
}

/// An RGB projection applied to each finished tile of a layer (MSG-GAN's
/// per-scale to-RGB 1x1 conv), writing planar `[3, H, W]` per image.
public struct ToRGB: Sendable {
    public var weights: [Float]   // [C, 3], gain folded
    public var bias: [Float]      // [3]
    public init(weights: [Float], bias: [Float]) { self.weights = weights; self.bias = bias }
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
public struct ConvLayer: Sendable {
    public let conv: PackedConv          // the 3x3 kernel (used when !upsample)
    public let phases: [PackedConv]      // its 4 phase kernels (used when upsample)
    public let upsample: Bool
    public let epilogue: Epilogue
    /// Direct NHWC kernel instead of im2col + GEMM.
    public let direct: Bool
    /// Winograd F(2x2, 3x3) (plain convs only), used from `winogradMinSize` up.
    public let winograd: Winograd?
    public let winogradMinSize: Int

    /// How a layer computes its correlation.
    public enum Strategy: Sendable {
        /// Direct for few channels on CPUs with the vector kernel (where GEMM
        /// with N <= 64 is bound by packing its inputs), GEMM otherwise.
        case auto
        case gemm
        case direct
        /// Winograd for plain convs at every size (GEMM for up-convs).
        case winograd
    }

    public init(conv: PackedConv, upsample: Bool, epilogue: Epilogue, strategy: Strategy = .auto) {
        self.conv = conv
        self.upsample = upsample
        self.phases = upsample ? conv.upsamplePhases() : []
        self.epilogue = epilogue
        switch strategy {
        case .gemm, .winograd: direct = false
        case .direct: direct = true
        case .auto: direct = msg_kernels_isa() == 2 && conv.cout % 16 == 0 && conv.cout <= 64 && conv.cin <= 64
        }
        // Winograd pays where channels are many and images not tiny (below 16x16
        // its 16 weight matrices, 16/9 of the plain ones, dominate the traffic).
        let useWinograd = !upsample && (strategy == .winograd || (strategy == .auto && !direct && conv.cin >= 64))
        winograd = useWinograd ? Winograd(conv) : nil
        winogradMinSize = strategy == .winograd ? 1 : 16
    }

    /// Whether the Winograd path runs at input size h x w.
    func usesWinograd(h: Int, w: Int) -> Bool { winograd != nil && min(h, w) >= winogradMinSize }

    /// Output rows each work item of an image covers at input size h x w.
    func rowsPerItem(h: Int, w: Int) -> Int {
        if usesWinograd(h: h, w: w) { return min(2 * winograd!.bandTileRows(width: w), h + h % 2) }
        return min(tileRows(inputWidth: w), h)
    }

    public var cin: Int { conv.cin }
    public var cout: Int { conv.cout }
    public var gemmK: Int { upsample ? 4 * conv.cin : 9 * conv.cin }

    /// Rows of the (input-resolution) output grid per tile: enough pixels that
    /// each GEMM amortises packing its weights, few enough that im2col stays small.
    public func tileRows(inputWidth w: Int) -> Int {
        let targetPixels = min(max(262_144 / gemmK, 1024), 16_384)
        return max(1, targetPixels / w)
    }

    /// Scratch this layer needs per worker at input size h x w.
    public func scratchNeeds(h: Int, w: Int) -> (col: Int, panel: Int) {
        if usesWinograd(h: h, w: w) {
            let need = winograd!.scratchNeeds(h: h, w: w)
            return (need.v, max(need.m, rowsPerItem(h: h, w: w) * w * 3))
        }
        let rows = min(tileRows(inputWidth: w), h)
        let pixels = rows * w
        return (direct ? 0 : pixels * gemmK, pixels * max(upsample ? cout : 0, 3))
    }

    /// Tiles per image at input size h x w (plain convs: the hook's tile indices).
    public func tilesPerImage(h: Int, w: Int) -> Int {
        let rows = rowsPerItem(h: h, w: w)
        return (h + rows - 1) / rows
    }

    /// Runs the layer. `rgb`/`rgbOut` (planar `[N, 3, H', W']`) add the to-RGB
    /// projection of each output tile right after its epilogue; `hook` sees
    /// each finished tile of a plain conv (after the epilogue, before to-RGB).
    public func run(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int, h: Int, w: Int,
                    scratch: ConvScratch, threads: Int,
                    rgb: ToRGB? = nil, rgbOut: UnsafeMutablePointer<Float>? = nil,
                    hook: ((ConvTile) -> Void)? = nil) {
        let rows = rowsPerItem(h: h, w: w)
        let tilesPerImage = (h + rows - 1) / rows
        let phaseCount = upsample ? 4 : 1
        let wino = usesWinograd(h: h, w: w) ? winograd : nil
        let items = batch * phaseCount * tilesPerImage
        // Split work items over our workers when they balance; otherwise let
        // OpenBLAS split each GEMM. Either way every pixel is computed by the same
        // GEMM shapes, so an image does not depend on what it is batched with.
        let parallelItems = threads > 1 && (items >= 2 * threads || items % threads == 0)
        BLAS.setThreads(parallelItems ? 1 : threads)
        defer { BLAS.setThreads(threads) }
        let oh = upsample ? 2 * h : h, ow = upsample ? 2 * w : w
        let inStride = h * w * cin, outStride = oh * ow * cout

        Workers.run(items: items, workers: parallelItems ? threads : 1) { item, worker in
            let tile = item % tilesPerImage
            let phase = (item / tilesPerImage) % phaseCount
            let n = item / (tilesPerImage * phaseCount)
            let r0 = tile * rows, r1 = min(h, r0 + rows)
            let pixels = (r1 - r0) * w
            let xi = x + n * inStride, yi = y + n * outStride
            let col = scratch.col[worker].pointer
            if !upsample {
                let dst = yi + r0 * w * cout
                conv.weights.withUnsafeBufferPointer { wp in
                    if let wino {
                        wino.run(x: xi, y: yi, h: h, w: w, tileRows: (r0 / 2)..<((r1 + 1) / 2),
                                 v: col, m: scratch.panel[worker].pointer)
                    } else if direct {
                        msg_conv_direct(xi, Int32(h), Int32(w), Int32(cin), wp.baseAddress!, 3, 3, -1, -1, Int32(cout),
                                        Int32(r0), Int32(r1), dst)
                    } else {
                        Im2col.fill(x: xi, h: h, w: w, cin: cin, kh: 3, kw: 3, oy: -1, ox: -1, rows: r0..<r1, col: col)
                        BLAS.sgemm(m: pixels, n: cout, k: gemmK, a: col, lda: gemmK, b: wp.baseAddress!, ldb: cout, c: dst, ldc: cout)
                    }
                }
                conv.bias.withUnsafeBufferPointer { epilogue.apply(rows: dst, pixels: pixels, channels: cout, bias: $0.baseAddress!) }
                hook?(ConvTile(image: n, index: tile, firstPixel: r0 * w, pixels: pixels, rows: dst, worker: worker))
                if let rgb, let rgbOut {
                    Self.project(rgb, rows: dst, pixels: pixels, channels: cout,
                                 out: rgbOut + n * 3 * oh * ow, planeStride: oh * ow, offset: r0 * w,
                                 panel: scratch.panel[worker].pointer)
                }
            } else {
                let a = phase >> 1, b = phase & 1
                let pc = phases[phase]
                let panel = scratch.panel[worker].pointer
                pc.weights.withUnsafeBufferPointer { wp in
                    if direct {
                        msg_conv_direct(xi, Int32(h), Int32(w), Int32(cin), wp.baseAddress!, 2, 2, Int32(a - 1), Int32(b - 1),
                                        Int32(cout), Int32(r0), Int32(r1), panel)
                    } else {
                        Im2col.fill(x: xi, h: h, w: w, cin: cin, kh: 2, kw: 2, oy: a - 1, ox: b - 1, rows: r0..<r1, col: col)
                        BLAS.sgemm(m: pixels, n: cout, k: gemmK, a: col, lda: gemmK, b: wp.baseAddress!, ldb: cout, c: panel, ldc: cout)
                    }
                }
                pc.bias.withUnsafeBufferPointer { epilogue.apply(rows: panel, pixels: pixels, channels: cout, bias: $0.baseAddress!) }
                // Scatter phase (a, b) to output pixels (2y + a, 2x + b).
                for yy in r0..<r1 {
                    let src = panel + (yy - r0) * w * cout
                    let dstRow = yi + ((2 * yy + a) * ow + b) * cout
                    for xx in 0..<w {
                        (dstRow + 2 * xx * cout).update(from: src + xx * cout, count: cout)
                    }
                }
                precondition(rgb == nil && hook == nil, "to-RGB and hooks follow plain convs in both families")
            }
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
