import CMSGKernels

/// Winograd convolution (Lavin & Gray), in three forms that share one schedule:
///
/// - F(2x2, 3x3) for plain 3x3 convs (stride 1, pad 1): each 2x2 block of
///   outputs comes from a 4x4 input patch with 16 multiplies per (ci, co)
///   instead of 36 (2.25x fewer).
///
///       U = G g G^T    G   = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
///       V = B^T d B    B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
///       Y = A^T M A    A^T = [1 1 1 0; 0 1 -1 -1]
///
/// - F(4x4, 3x3) for plain 3x3 convs on larger images: 36 multiplies per 4x4
///   outputs (4x fewer), points {0, -1, 1, 1/2, -2, inf}; its fp32 error is
///   about 8x F(2x2, 3x3)'s (still ~1e-5 of the values; tests bound it).
///
/// - F(2x2, 2x2) for each of the four phase kernels of a nearest-x2 up-conv
///   (PackedConv.upsamplePhases): 9 multiplies per (ci, co) instead of 16 for
///   each 2x2 block of a phase's low-resolution outputs; additions only in the
///   transforms (points 0, 1, inf). Outputs go straight to the phase's pixels.
///
///       U = G g G^T    G   = [1 0; 1 1; 0 1]
///       V = B^T d B    B^T = [1 -1 0; 0 1 0; 0 -1 1]
///       Y = A^T M A    A^T = [1 1 0; 0 1 1]
///
/// - F(4x4, 2x2) per phase for up-convs whose transformed weights stay small
///   (25 planes per phase, 11x the 3x3 kernel): 25 multiplies per 4x4 block of
///   a phase instead of 36 (4 F(2x2, 2x2) tiles), points {0, 1, -1, 2, inf};
///   fp32 error about F(4x4, 3x3)'s.
///
///       G   = [1/2 0; -1/2 -1/2; -1/6 1/6; 1/6 1/3; 0 1]
///       B^T = [2 -1 -2 1 0; 0 -2 -1 1 0; 0 2 -3 1 0; 0 -1 0 1 0; 0 2 -1 -2 1]
///       A^T = [1 1 1 1 0; 0 1 -1 2 0; 0 1 1 4 0; 0 1 -1 8 1]
///
/// Schedule: the tile rows of a batch are cut into bands that keep each weight
/// panel in use over hundreds of tiles. A band runs in three stages (per
/// phase for up-convs): input transforms (by chunks of tile rows), one GEMM
/// per transformed position and block of 32 output channels (CMSGKernels'
/// register-blocked kernel on weights packed at load; no packing per call),
/// output transforms + the layer's epilogue (by chunks). Layers with small
/// transformed weights run one band per thread, all stages on that thread;
/// the others run one band at a time with each stage split over the threads.
/// Band and chunk bounds depend only on the layer and image size, never on
/// the batch or thread count, and each output's arithmetic is the same
/// wherever it lands: an image's bits do not depend on how it was run.
public struct Winograd: Sendable {
    public enum Kind: Sendable {
        case plain3x3          // F(2x2, 3x3)
        case plain3x3Large     // F(4x4, 3x3)
        case upsample2x2       // F(2x2, 2x2) per phase
        case upsample2x2Large  // F(4x4, 2x2) per phase
    }

    public let kind: Kind
    public let cin: Int
    public let cout: Int
    /// planes x [cin, cout] matrices, each packed by msg_wgemm_pack; plane
    /// phase * positions + xi. Empty for a bf16 layer.
    let packed: [Float]
    /// bf16 layers: the same planes packed by msg_wgemm_pack_bf16 (rounded
    /// once, at load); empty for float32 ones.
    let packedBF16: [UInt16]
    /// Whether the GEMMs run in bf16 (`Precision.bf16`).
    public var bf16: Bool { !packedBF16.isEmpty }
    /// bf16 layers whose input transforms store bf16 V themselves (AVX512-BF16,
    /// cin % 16 == 0): no float32 V. The others transform into float32 V and
    /// round it (the same values).
    var fusedBF16Input: Bool { bf16 && cin % 16 == 0 && Precision.bf16Supported && KernelISA.active == .avx512 }

    /// Transformed positions per phase (16 or 9) and phases (1 or 4).
    public var positions: Int {
        switch kind { case .plain3x3: 16; case .plain3x3Large: 36; case .upsample2x2: 9; case .upsample2x2Large: 25 }
    }
    public var phases: Int { kind == .upsample2x2 || kind == .upsample2x2Large ? 4 : 1 }
    /// Outputs per tile side (of each phase's grid for up-convs).
    public var tile: Int { kind == .plain3x3Large || kind == .upsample2x2Large ? 4 : 2 }
    public var planes: Int { positions * phases }
    /// 32-wide blocks of output channels (the last may be narrower).
    var columnBlocks: Int { (cout + 31) / 32 }

    /// From a packed 3x3 kernel ([9 * cin, cout], row (ty * 3 + tx) * cin + ci);
    /// `large`: F(4x4, 3x3) instead of F(2x2, 3x3).
    /// `bf16`: keep the transformed weights as bf16 and run the GEMMs in bf16
    /// (cin even).
    public init(_ pc: PackedConv, large: Bool = false, bf16: Bool = false) {
        precondition(pc.kh == 3 && pc.kw == 3)
        if large {
            let g: [[Double]] = [[1, 0, 0], [-1.0 / 3, 1.0 / 3, -1.0 / 3], [1.0 / 3, 1.0 / 3, 1.0 / 3],
                                 [-16.0 / 15, -8.0 / 15, -4.0 / 15], [1.0 / 15, -2.0 / 15, 4.0 / 15], [0, 0, 1]]
            self.init(kind: .plain3x3Large, kernels: [pc], g: g, bf16: bf16)
        } else {
            self.init(kind: .plain3x3, kernels: [pc], g: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], bf16: bf16)
        }
    }

    /// From the four phase kernels of an up-conv (2x2 each, phase a * 2 + b);
    /// `large`: F(4x4, 2x2) instead of F(2x2, 2x2).
    public init(phases: [PackedConv], large: Bool = false, bf16: Bool = false) {
        precondition(phases.count == 4 && phases.allSatisfy { $0.kh == 2 && $0.kw == 2 })
        if large {
            self.init(kind: .upsample2x2Large, kernels: phases,
                      g: [[0.5, 0], [-0.5, -0.5], [-1.0 / 6, 1.0 / 6], [1.0 / 6, 1.0 / 3], [0, 1]], bf16: bf16)
        } else {
            self.init(kind: .upsample2x2, kernels: phases, g: [[1, 0], [1, 1], [0, 1]], bf16: bf16)
        }
    }

    /// Bytes of transformed weights F(4x4, 2x2) would keep for an up-conv.
    public static func upsampleLargeWeightBytes(cin: Int, cout: Int) -> Int { 4 * 25 * cin * cout * MemoryLayout<Float>.size }

    /// U = G g G^T per position, summed in float64 (G of F(4x4, 3x3) has
    /// thirds and fifteenths), rounded once to float32.
    /// bf16: the float32 U rounded once to bf16.
    private init(kind: Kind, kernels: [PackedConv], g: [[Double]], bf16: Bool) {
        self.kind = kind
        let cin = kernels[0].cin, cout = kernels[0].cout
        self.cin = cin; self.cout = cout
        precondition(!bf16 || cin % 2 == 0, "bf16 Winograd needs an even cin")
        let n = cin * cout, a = g.count, r = g[0].count
        var packed = [Float](repeating: 0, count: bf16 ? 0 : kernels.count * a * a * n)
        var packedBF16 = [UInt16](repeating: 0, count: bf16 ? kernels.count * a * a * n : 0)
        var acc = [Double](repeating: 0, count: n)
        var u = [Float](repeating: 0, count: n)
        for (p, pc) in kernels.enumerated() {
            for i in 0..<a { for j in 0..<a {
                for k in 0..<n { acc[k] = 0 }
                for ty in 0..<r { for tx in 0..<r {
                    let c = g[i][ty] * g[j][tx]
                    if c == 0 { continue }
                    let src = (ty * r + tx) * n
                    for k in 0..<n { acc[k] += c * Double(pc.weights[src + k]) }
                } }
                for k in 0..<n { u[k] = Float(acc[k]) }
                let plane = p * a * a + i * a + j
                if bf16 {
                    packedBF16.withUnsafeMutableBufferPointer { dst in
                        msg_wgemm_pack_bf16(u, Int32(cin), Int32(cout), dst.baseAddress! + plane * n)
                    }
                } else {
                    packed.withUnsafeMutableBufferPointer { dst in
                        msg_wgemm_pack(u, Int32(cin), Int32(cout), dst.baseAddress! + plane * n)
                    }
                }
            } }
        }
        self.packed = packed
        self.packedBF16 = packedBF16
    }

    // MARK: - Bands and chunks

    /// Tile rows per chunk (the unit of transforms, epilogue and hooks): about
    /// 1024 output pixels for a plain conv.
    public func chunkTileRows(width w: Int) -> Int { max(1, 128 / max(w, 1)) }

    /// Tile rows of one image (tile x tile output blocks; for up-convs, of each phase).
    public func tileRowsPerImage(height h: Int) -> Int { (h + tile - 1) / tile }
    func tilesX(width w: Int) -> Int { (w + tile - 1) / tile }

    /// Chunks per image: the `index` range a per-tile hook sees.
    public func chunksPerImage(h: Int, w: Int) -> Int {
        let rows = tileRowsPerImage(height: h), c = chunkTileRows(width: w)
        return (rows + c - 1) / c
    }

    /// Target tiles per band. Small transformed weights (run one band per
    /// thread): V and M of a band near L2 size. Large ones (1-100 MB per pass):
    /// long enough that each GEMM reuses its weight panel over many hundreds of
    /// tiles. Measured on progan-256 / 1024 (`bench --profile`, Zen 5, 1 MB L2;
    /// 0.12x-8x of these): 0.25x the earlier common target took the 64-128
    /// channel layers from 7.4 / 5.4 / 4.2 to 5.8 / 4.8 / 3.6 ms, 3x took the
    /// 256-channel ones from 3.9 / 5.7 to 3.4 / 5.3 ms.
    func targetTiles() -> Int {
        smallWeights ? max(64, 16_384 / max(cin, 1)) * 16 / positions : max(768, 196_608 / max(cin, 1)) * 16 / positions
    }
    /// Whether the transformed weights are small enough for one band per thread
    /// (bf16 weights count at 2 bytes: more bf16 layers run per-thread bands,
    /// 2-5% faster on progan-128 / stylegan-256, 3 alternating rounds).
    var smallWeights: Bool { planes * cin * cout * (bf16 ? 2 : MemoryLayout<Float>.size) <= Self.perThreadWeightBytes }

    /// How the batch's tile rows are grouped into bands: whole images per band
    /// when an image is smaller than the target (for large transformed weights
    /// at most `sharedBandFloats` of V + M, or one image), else whole chunks of
    /// one image.
    func bandLayout(h: Int, w: Int) -> (imagesPerBand: Int, chunksPerBand: Int) {
        let tilesX = tilesX(width: w), rows = tileRowsPerImage(height: h)
        let target = max(1, targetTiles() / tilesX)   // tile rows
        if rows <= target {
            var images = max(1, target / rows)
            if !smallWeights {
                let perImage = positions * rows * tilesX * (cin + cout)
                images = min(images, max(1, Self.sharedBandFloats / perImage))
            }
            return (images, chunksPerImage(h: h, w: w))
        }
        let cr = chunkTileRows(width: w)
        return (1, max(1, target / cr))
    }

    /// Whether bands run one per thread, each through all three stages on its
    /// own (V and M stay in that core's cache; every thread streams all the
    /// weights), rather than one at a time with each stage split over the
    /// threads (each thread streams a share of the weights). The first wins
    /// where the transformed weights are small.
    func bandPerThread(threads: Int) -> Bool { threads > 1 && smallWeights }
    /// Measured on progan-128 (`bench --profile`, 0 / 1.5 / 5 / 20 MB): 5 MB
    /// puts the 128- and 256-channel layers on per-thread bands, the 512-channel
    /// ones (16-38 MB of transformed weights) on shared bands.
    static let perThreadWeightBytes = 5 << 20
    /// The most floats of V + M a shared band of whole images may hold (one
    /// image is always allowed): 8 MB. Without it the 512-channel layers of a
    /// pass of 8 grew their bands to 3-8 images (47 MB at 32x32 in
    /// msg-stylegan-tf's 1024 px shape, 9 MB at one image) for no measurable
    /// speed: `bench --batches 8`, stylegan-256 / progan-128, four interleaved
    /// rounds each way, medians within noise (86-97 / 61-63 ms either way, Zen 5);
    /// peak RSS of a 1024 px pass of 8: 505 -> 478 MB (issue 22).
    static let sharedBandFloats = 2 << 20

    /// Floats of the band buffers V and M for `workers` threads, and of the
    /// bf16 copy of V a bf16 layer's GEMMs read (two values per float; 0 for float32).
    public func bandFloats(h: Int, w: Int, batch: Int, workers: Int) -> (v: Int, m: Int, vb: Int) {
        let (ipb, cpb) = bandLayout(h: h, w: w)
        let tilesX = tilesX(width: w)
        let rows = ipb > 1 || cpb >= chunksPerImage(h: h, w: w)
            ? min(ipb, max(batch, 1)) * tileRowsPerImage(height: h)
            : cpb * chunkTileRows(width: w)
        let tiles = rows * tilesX
        let copies = bandPerThread(threads: workers) ? workers : 1
        let vb = bf16 ? copies * ((positions * (tiles * cin + 2 * Self.planePad) + 1) / 2) : 0
        let v = fusedBF16Input ? 0 : copies * positions * (tiles * cin + Self.planePad)
        return (v, copies * positions * (tiles * cout + Self.planePad), vb)
    }

    /// Floats between the planes of V (and of M) beyond their data: plane
    /// strides of tiles x channels are often multiples of 4 KB, which put the
    /// same element of all 16-36 planes in one L1 set; the transforms write (and
    /// read) one vector of every plane per tile, so those lines evicted each
    /// other, and a 256-bit store found its line gone before the other half was
    /// written. 192 bytes spreads the planes over the sets. Measured on Zen 5
    /// (tools/bench/wino_transforms.c), 32x32x512 input transforms: F(4x4, 3x3)
    /// AVX2 678 -> 280 us, AVX-512 247 -> 168 us; F(4x4, 2x2) AVX2 425 -> 133 us.
    /// Bits unchanged: only where the planes sit moves.
    static let planePad = 48

    // MARK: - Running

    /// One finished chunk: image n, chunk index, its output rows [o0, o1).
    public typealias ChunkDone = (_ image: Int, _ chunk: Int, _ o0: Int, _ o1: Int, _ worker: Int) -> Void

    /// y [N, H', W', cout] from x [N, h, w, cin] (no bias: `done` runs the
    /// layer's epilogue on each chunk right after its output transform).
    /// bf16 layers round each chunk's V into `vb` right after its transform;
    /// the GEMMs read that.
    public func run(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int, h: Int, w: Int,
                    v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, vb: UnsafeMutablePointer<UInt16>,
                    threads: Int, done: ChunkDone) {
        let tilesX = tilesX(width: w), rowsPerImage = tileRowsPerImage(height: h), tile = tile
        let cr = chunkTileRows(width: w), chunksPerImage = chunksPerImage(h: h, w: w)
        let (ipb, cpb) = bandLayout(h: h, w: w)
        let up = phases == 4
        let oh = up ? 2 * h : h, ow = up ? 2 * w : w
        let inStride = h * w * cin, outStride = oh * ow * cout
        let blocks = columnBlocks, positions = positions, phases = phases

        // Bands as lists of chunks (image, chunk index).
        var bands: [[(n: Int, c: Int)]] = []
        if ipb > 1 || cpb >= chunksPerImage {
            var n0 = 0
            while n0 < batch {
                let n1 = min(batch, n0 + ipb)
                bands.append((n0..<n1).flatMap { n in (0..<chunksPerImage).map { (n: n, c: $0) } })
                n0 = n1
            }
        } else {
            for n in 0..<batch {
                var c0 = 0
                while c0 < chunksPerImage {
                    let c1 = min(chunksPerImage, c0 + cpb)
                    bands.append((c0..<c1).map { (n: n, c: $0) })
                    c0 = c1
                }
            }
        }

        let bandV = bandFloats(h: h, w: w, batch: batch, workers: 1)
        let bf16 = bf16, fused = fusedBF16Input
        packed.withUnsafeBufferPointer { up0 in
        packedBF16.withUnsafeBufferPointer { ub0 in
            let u = up0.baseAddress, ub = ub0.baseAddress
            // One band: three stages, each over `threads` threads (or on the
            // calling worker `fixedWorker` alone).
            func runBand(_ band: [(n: Int, c: Int)], v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                         vb: UnsafeMutablePointer<UInt16>, threads: Int, fixedWorker: Int?) {
                // Tile offset of each chunk within the band.
                var offsets = [Int](), tiles = 0
                for item in band {
                    offsets.append(tiles)
                    let r0 = item.c * cr, r1 = min(rowsPerImage, r0 + cr)
                    tiles += (r1 - r0) * tilesX
                }
                let planeStride = tiles * cin + Self.planePad, mStride = tiles * cout + Self.planePad
                let planeStrideB = tiles * cin + 2 * Self.planePad   // bf16 values: the same 192-byte spread
                let workers = min(threads, band.count)
                // Up-convs go one phase at a time (V and M hold 9 planes, not 36).
                for phase in 0..<phases {
                    // Stage 1: input transforms.
                    Workers.run(items: band.count, workers: workers) { k, _ in
                        let item = band[k]
                        let r0 = item.c * cr, r1 = min(rowsPerImage, r0 + cr)
                        let xi = x + item.n * inStride, vk = v + offsets[k] * cin
                        if fused {
                            let isa = KernelISA.active.rawValue, vbk = vb + offsets[k] * cin
                            let (hh, ww, cc, a0, a1) = (Int32(h), Int32(w), Int32(cin), Int32(r0), Int32(r1))
                            switch kind {
                            case .upsample2x2:
                                _ = msg_wino22_input_bf16(isa, xi, hh, ww, cc, a0, a1, Int32(phase >> 1), Int32(phase & 1), vbk, planeStrideB)
                            case .upsample2x2Large:
                                _ = msg_wino42_input_bf16(isa, xi, hh, ww, cc, a0, a1, Int32(phase >> 1), Int32(phase & 1), vbk, planeStrideB)
                            case .plain3x3: _ = msg_wino_input_bf16(isa, xi, hh, ww, cc, a0, a1, vbk, planeStrideB)
                            case .plain3x3Large: _ = msg_wino43_input_bf16(isa, xi, hh, ww, cc, a0, a1, vbk, planeStrideB)
                            }
                            return
                        }
                        switch kind {
                        case .upsample2x2:
                            msg_wino22_input(KernelISA.active.rawValue, xi, Int32(h), Int32(w), Int32(cin), Int32(r0), Int32(r1),
                                             Int32(phase >> 1), Int32(phase & 1), vk, planeStride)
                        case .upsample2x2Large:
                            msg_wino42_input(KernelISA.active.rawValue, xi, Int32(h), Int32(w), Int32(cin), Int32(r0), Int32(r1),
                                             Int32(phase >> 1), Int32(phase & 1), vk, planeStride)
                        case .plain3x3:
                            msg_wino_input(KernelISA.active.rawValue, xi, Int32(h), Int32(w), Int32(cin), Int32(r0), Int32(r1), vk, planeStride)
                        case .plain3x3Large:
                            msg_wino43_input(KernelISA.active.rawValue, xi, Int32(h), Int32(w), Int32(cin), Int32(r0), Int32(r1), vk, planeStride)
                        }
                        if bf16 {
                            let count = (r1 - r0) * tilesX * cin
                            for xi in 0..<positions {
                                msg_f32_to_bf16(KernelISA.active.rawValue, vk + xi * planeStride, count, vb + xi * planeStrideB + offsets[k] * cin)
                            }
                        }
                    }
                    // Stage 2: one GEMM per position and column block.
                    let phaseOffset = phase * positions * cin * cout
                    Workers.run(items: positions * blocks, workers: threads) { k, _ in
                        let xi = k / blocks, cb = k % blocks
                        if bf16 {
                            msg_wgemm_bf16(KernelISA.active.rawValue, vb + xi * planeStrideB, Int32(tiles), Int32(cin),
                                           ub! + phaseOffset + xi * cin * cout, Int32(cout), Int32(cb), Int32(cb + 1), m + xi * mStride)
                        } else {
                            msg_wgemm(KernelISA.active.rawValue, v + xi * planeStride, Int32(tiles), Int32(cin), u! + phaseOffset + xi * cin * cout,
                                      Int32(cout), Int32(cb), Int32(cb + 1), m + xi * mStride)
                        }
                    }
                    // Stage 3: output transforms, then (after the last phase) the
                    // epilogue while the rows are hot.
                    Workers.run(items: band.count, workers: workers) { k, w0 in
                        let item = band[k], worker = fixedWorker ?? w0
                        let r0 = item.c * cr, r1 = min(rowsPerImage, r0 + cr)
                        let yi = y + item.n * outStride, mk = m + offsets[k] * cout
                        switch kind {
                        case .upsample2x2:
                            msg_wino22_output(KernelISA.active.rawValue, mk, mStride, Int32(h), Int32(w), Int32(cout), Int32(r0), Int32(r1),
                                              Int32(phase >> 1), Int32(phase & 1), yi)
                            if phase == 3 { done(item.n, item.c, 4 * r0, min(4 * r1, oh), worker) }
                        case .upsample2x2Large:
                            msg_wino42_output(KernelISA.active.rawValue, mk, mStride, Int32(h), Int32(w), Int32(cout), Int32(r0), Int32(r1),
                                              Int32(phase >> 1), Int32(phase & 1), yi)
                            if phase == 3 { done(item.n, item.c, 8 * r0, min(8 * r1, oh), worker) }
                        case .plain3x3:
                            msg_wino_output(KernelISA.active.rawValue, mk, mStride, Int32(h), Int32(w), Int32(cout), Int32(r0), Int32(r1), yi)
                            done(item.n, item.c, 2 * r0, min(2 * r1, oh), worker)
                        case .plain3x3Large:
                            msg_wino43_output(KernelISA.active.rawValue, mk, mStride, Int32(h), Int32(w), Int32(cout), Int32(r0), Int32(r1), yi)
                            done(item.n, item.c, tile * r0, min(tile * r1, oh), worker)
                        }
                    }
                }
            }
            if bandPerThread(threads: threads) && bands.count >= 2 {
                Workers.run(items: bands.count, workers: threads) { k, worker in
                    let vbw = UnsafeMutableRawPointer(vb).advanced(by: worker * bandV.vb * MemoryLayout<Float>.size).assumingMemoryBound(to: UInt16.self)
                    runBand(bands[k], v: v + worker * bandV.v, m: m + worker * bandV.m, vb: vbw, threads: 1, fixedWorker: worker)
                }
            } else {
                for band in bands { runBand(band, v: v, m: m, vb: vb, threads: threads, fixedWorker: nil) }
            }
        }
        }
    }
}
