import Foundation
import MSGKernels
import MSGTensor
import MSGWeights

/// MSG-StyleGAN forward pass (msg-stylegan-tf `G_style`: StyleGAN v1's mapping
/// and synthesis with a to-RGB output at every resolution). Weights folded once
/// at load; immutable, shared by every worker.
public final class StyleGANGenerator: @unchecked Sendable {
    public let config: StyleGANConfig

    struct Dense { var weights: [Float]; var bias: [Float]; var fin: Int; var fout: Int }

    /// One synthesis layer l (0 ..< numLayers): resolution 4 << (l / 2).
    struct Layer {
        var resolution: Int
        var channels: Int
        var conv: ConvLayer?          // nil for the learned const (layer 0)
        var bias: [Float]
        var noiseWeight: [Float]?     // nil when use_noise is false
        var storedNoise: [Float]?     // G_synthesis/noise{l}, [r * r]
        var styleWeights: [Float]?    // [dlatent, 2C], gain folded; nil when use_styles is false
        var styleBias: [Float]?
        var styleOffset: Int          // where this layer's style lives in a per-image style vector
    }

    let mapping: [Dense]
    let dlatentAvg: [Float]
    let constInput: [Float]           // NHWC [4, 4, C]
    let layers: [Layer]
    let rgb: [ToRGB]                  // per resolution, 4x4 first
    let blurFilter: (Float, Float, Float)?
    let styleLength: Int              // sum of 2C over layers
    /// StyleGAN v1's progressive-growing level the full-resolution output is
    /// rendered at (ProgressiveLod.effective; 0 for finished networks).
    public let progressiveLod: Float

    /// `strategy`, `precision`: as ProGANGenerator's.
    public init(model: ModelFile, strategy: ConvLayer.Strategy = .auto, precision: Precision = .fp32) throws {
        guard case .styleGAN(let cfg) = model.config else { throw GenError.wrongFamily(model.name, expected: .msgStyleGAN) }
        config = cfg
        progressiveLod = model.progressiveLod?.effective ?? 0
        let name = model.name
        guard cfg.constInputLayer else {
            throw GenError.unsupported(name, "const_input_layer false (a dense layer from w to the 4x4 input) is not implemented")
        }
        let bf = cfg.blurFilter
        if bf.isEmpty {
            blurFilter = nil
        } else if bf.count == 3, bf.allSatisfy(\.isFinite), bf.reduce(0, +) != 0 {
            // Upstream normalises the 2-D outer product to sum 1: per axis f / sum(f).
            let s = bf.reduce(0, +)
            blurFilter = (Float(bf[0] / s), Float(bf[1] / s), Float(bf[2] / s))
        } else {
            throw GenError.unsupported(name, "blur_filter \(bf) (only 3-tap filters or none)")
        }

        // use_wscale: runtime coefficient gain / sqrt(fan_in) * lrmul, else lrmul alone.
        func coef(gain: Double, fanIn: Int, lrmul: Double = 1) -> Float {
            Float(cfg.useWscale ? gain / Double(fanIn).squareRoot() * lrmul : lrmul)
        }
        let sqrt2 = 2.0.squareRoot()

        var mapping: [Dense] = []
        for k in 0..<cfg.mappingLayers {
            let fin = k == 0 ? cfg.latentSize : cfg.mappingFmaps
            let fout = k == cfg.mappingLayers - 1 ? cfg.dlatentSize : cfg.mappingFmaps
            let c = coef(gain: sqrt2, fanIn: fin, lrmul: cfg.mappingLrmul)
            let lr = Float(cfg.mappingLrmul)
            mapping.append(Dense(weights: try model.floats("G_mapping/Dense\(k)/weight").map { $0 * c },
                                 bias: try model.floats("G_mapping/Dense\(k)/bias").map { $0 * lr },
                                 fin: fin, fout: fout))
        }
        self.mapping = mapping
        dlatentAvg = try model.floats("dlatent_avg")

        let c0 = cfg.channels(stage: 1)
        let constNCHW = try model.floats("G_synthesis/4x4/Const/const")
        constInput = Reference.toNHWC(constNCHW, c: c0, h: 4, w: 4)

        var layers: [Layer] = []
        var offset = 0
        for l in 0..<cfg.numLayers {
            let k = l / 2 + 2, r = 1 << k
            let c = cfg.channels(stage: k - 1)
            let prefix = l == 0 ? "G_synthesis/4x4/Const" : l == 1 ? "G_synthesis/4x4/Conv"
                : l % 2 == 0 ? "G_synthesis/\(r)x\(r)/Conv0_up" : "G_synthesis/\(r)x\(r)/Conv1"
            var conv: ConvLayer?
            if l > 0 {
                let up = l % 2 == 0
                let cin = up ? cfg.channels(stage: k - 2) : c
                // Upstream's fused up-conv (stride-2 transposed conv) equals nearest
                // upsampling + correlation with the kernel flipped in both axes.
                let flip = up && cfg.usesFusedUpConv(resolution: r)
                let packed = PackedConv(tfWeight: try model.floats(prefix + "/weight"), kh: 3, kw: 3, cin: cin, cout: c,
                                        bias: [Float](repeating: 0, count: c), scale: coef(gain: sqrt2, fanIn: 9 * cin),
                                        flipped: flip)
                conv = ConvLayer(conv: packed, upsample: up, epilogue: .raw, strategy: strategy, inputSize: up ? r / 2 : r,
                                 precision: precision)
            }
            var layer = Layer(resolution: r, channels: c, conv: conv, bias: try model.floats(prefix + "/bias"),
                              noiseWeight: nil, storedNoise: nil, styleWeights: nil, styleBias: nil, styleOffset: offset)
            if cfg.useNoise {
                layer.noiseWeight = try model.floats(prefix + "/Noise/weight")
                layer.storedNoise = try model.floats("G_synthesis/noise\(l)")
            }
            if cfg.useStyles {
                let sc = coef(gain: 1, fanIn: cfg.dlatentSize)
                layer.styleWeights = try model.floats(prefix + "/StyleMod/weight").map { $0 * sc }
                layer.styleBias = try model.floats(prefix + "/StyleMod/bias")
                offset += 2 * c
            }
            layers.append(layer)
        }
        self.layers = layers
        styleLength = offset

        var rgb: [ToRGB] = []
        for i in cfg.resolutions.indices {
            let c = cfg.channels(stage: i + 1)
            let lod = cfg.resolutionLog2 - (i + 2)
            let s = coef(gain: 1, fanIn: c)
            rgb.append(ToRGB(weights: try model.floats("G_synthesis/ToRGB_lod\(lod)/weight").map { $0 * s },
                             bias: try model.floats("G_synthesis/ToRGB_lod\(lod)/bias")))
        }
        self.rgb = rgb
    }

    public var resolutions: [Int] { config.resolutions }
    public var numLayers: Int { config.numLayers }

    /// Direct-convolution FLOPs per image (mapping, styles, convs, to-RGB).
    public var flopsPerImage: Double {
        var f = mapping.reduce(0.0) { $0 + 2 * Double($1.fin * $1.fout) }
        for layer in layers {
            let r2 = Double(layer.resolution * layer.resolution), c = Double(layer.channels)
            if let conv = layer.conv {
                // What upstream computes: a fused up-conv is a stride-2 transposed
                // conv with a 4x4 kernel on the low-resolution input (4 taps per
                // output pixel); the rest are 3x3 convs at the output resolution.
                let fused = conv.upsample && config.usesFusedUpConv(resolution: layer.resolution)
                f += 2 * (fused ? 4 : 9) * Double(conv.cin) * c * r2
            }
            if layer.styleWeights != nil { f += 2 * Double(config.dlatentSize) * 2 * c }
        }
        for (i, r) in resolutions.enumerated() { f += 2 * Double(config.channels(stage: i + 1)) * 3 * Double(r * r) }
        return f
    }

    // MARK: - Mapping and truncation

    /// z: `[n, latent]` -> w: `[n, dlatent]`. Pixel norm of z, then the dense
    /// stack with LReLU(0.2), one image at a time (batching never changes bits).
    public func mapping(latents z: [Float], count n: Int) -> [Float] {
        let l = config.latentSize
        precondition(z.count == n * l)
        var out: [Float] = []
        out.reserveCapacity(n * config.dlatentSize)
        BLAS.setThreads(1)
        for i in 0..<n {
            var x = Array(z[(i * l)..<((i + 1) * l)])
            // x * rsqrt(mean(x^2) + 1e-8)
            let ms = x.reduce(Float(0)) { $0 + $1 * $1 } / Float(l)
            let inv = 1 / (ms + 1e-8).squareRoot()
            x = x.map { $0 * inv }
            for d in mapping {
                var y = d.bias
                x.withUnsafeBufferPointer { xp in d.weights.withUnsafeBufferPointer { wp in y.withUnsafeMutableBufferPointer { yp in
                    BLAS.sgemm(m: 1, n: d.fout, k: d.fin, a: xp.baseAddress!, lda: d.fin, b: wp.baseAddress!, ldb: d.fout,
                               c: yp.baseAddress!, ldc: d.fout, beta: 1)
                } } }
                x = y.map { $0 < 0 ? $0 * 0.2 : $0 }
            }
            out += x
        }
        return out
    }

    /// The truncation actually applied for requested `psi`/`cutoff` (nil: the
    /// model's defaults). psi 1 or cutoff 0 means none.
    public func truncation(psi: Double?, cutoff: Int?) -> (psi: Float, cutoff: Int) {
        let p = psi ?? config.truncationPsi ?? 1
        let c = cutoff ?? config.truncationCutoff ?? numLayers
        return (Float(p), max(0, min(c, numLayers)))
    }

    /// w: `[n, dlatent]` -> dlatents `[n, numLayers, dlatent]`: broadcast, then
    /// `avg + (w - avg) * psi` on layers < cutoff (upstream's lerp, in float32).
    public func dlatents(w: [Float], count n: Int, psi: Float, cutoff: Int) -> [Float] {
        let d = config.dlatentSize, nl = numLayers
        var out = [Float](repeating: 0, count: n * nl * d)
        for i in 0..<n { for l in 0..<nl { for j in 0..<d {
            let v = w[i * d + j]
            out[(i * nl + l) * d + j] = (l < cutoff && psi != 1) ? dlatentAvg[j] + (v - dlatentAvg[j]) * psi : v
        } } }
        return out
    }

    // MARK: - Synthesis

    /// Noise inputs of one forward pass.
    public enum Noise {
        case none
        case stored
        /// Per image, per layer: `r * r` values.
        case perImage([[[Float]]])
    }

    /// The layer (an up-conv) from which a pass runs image by image: the first
    /// whose per-image activations have at least `perImageFloats` floats (nil: none).
    func perImageFrom(perImageFloats: Int) -> Int? {
        for (l, layer) in layers.enumerated() where l >= 2 && l % 2 == 0 {
            if layer.resolution * layer.resolution * layer.channels >= perImageFloats { return l }
        }
        return nil
    }

    /// Statistics slots (tiles or bands) of one image at layer `l`: a plain
    /// conv's tiles (pass 1 rides on them), else the epilogue's row bands.
    func statSlots(layer l: Int) -> Int {
        let layer = layers[l], r = layer.resolution
        if let conv = layer.conv, !conv.upsample { return max(conv.tilesPerImage(h: r, w: r), 1) }
        let rows = Self.bandRows(width: r)
        return max((r + rows - 1) / rows, 1)
    }

    /// Doubles of the instance-norm statistics a pass of `n` images needs:
    /// per layer, its images (n before the split at `perImageFrom`, one after)
    /// x its slots x (sum, sum of squares) x its channels; the most any layer needs.
    func statFloats(images n: Int, perImageFrom split: Int?) -> Int {
        var most = 0
        for l in layers.indices {
            let images = l < (split ?? layers.count) ? n : 1
            most = max(most, images * statSlots(layer: l) * 2 * layers[l].channels)
        }
        return most
    }

    /// The buffers a pass of `images` images needs (see `WorkspacePlan`): the
    /// layers before the split at `images`, the layers after it at one image.
    public func plan(images: Int, threads: Int,
                     perImageFloats: Int = WorkspacePlan.defaultPerImageFloats) -> WorkspacePlan {
        let n = max(1, images), workers = max(1, threads)
        let from = perImageFrom(perImageFloats: perImageFloats)
        let split = from ?? layers.count
        var batched = 0, perImage = 0, needs = ScratchNeeds(), maxC = 0
        for (l, layer) in layers.enumerated() {
            let r = layer.resolution, c = layer.channels
            if l < split { batched = max(batched, r * r * c) } else { perImage = max(perImage, r * r * c) }
            maxC = max(maxC, c)
            needs.panel = max(needs.panel, Self.bandRows(width: r) * r * 3)
            if let conv = layer.conv {
                let h = conv.upsample ? r / 2 : r
                needs = needs.union(conv.scratchNeeds(h: h, w: h, batch: l < split ? n : 1, workers: workers))
            }
        }
        let other = statFloats(images: n, perImageFrom: from) * MemoryLayout<Double>.stride
            + (2 * n * maxC + n * max(styleLength, 1)) * MemoryLayout<Float>.stride
        return WorkspacePlan(images: n, threads: workers, perImageFrom: from, batchedActivation: batched,
                             imageActivation: perImage, scratch: needs, otherBytes: other)
    }

    /// Buffers for passes of up to `plan.images` images, allocated once and reused.
    public final class Workspace: @unchecked Sendable {
        public let plan: WorkspacePlan
        public var batch: Int { plan.images }
        public var threads: Int { plan.threads }
        let act: [AlignedBuffer]          // two NHWC ping-pong buffers (the blur reuses the spent input)
        let scratch: ConvScratch
        let stats: UnsafeMutablePointer<Double>
        let slotsPerLayer: [Int]          // stats slots (tiles or bands) per image, per layer
        let channels: [Int]
        let maxChannels: Int
        let scale: AlignedBuffer, shift: AlignedBuffer
        let styles: AlignedBuffer         // [batch, styleLength]
        /// First layer (an up-conv) from which a pass runs image by image, and
        /// that schedule's two per-image buffers (see ProGANGenerator's).
        var perImageFrom: Int? { plan.perImageFrom }
        /// The last pass's output tensors, reused by the next.
        let outputCache = OutputCache()
        /// Per-image scales' tensors of a streamed pass.
        let imageOutputCache = OutputCache()
        let imageA: AlignedBuffer, imageB: AlignedBuffer
        /// Per-layer timing for `bench --profile` (nil: off).
        public var profile: LayerProfile?

        init(generator g: StyleGANGenerator, plan: WorkspacePlan) {
            self.plan = plan
            let n = plan.images
            act = (0..<2).map { _ in AlignedBuffer(count: plan.batchedActivation * n) }
            scratch = ConvScratch(workers: plan.threads, needs: plan.scratch)
            slotsPerLayer = g.layers.indices.map { g.statSlots(layer: $0) }
            channels = g.layers.map(\.channels)
            maxChannels = channels.max() ?? 0
            stats = .allocate(capacity: max(g.statFloats(images: n, perImageFrom: plan.perImageFrom), 1))
            scale = AlignedBuffer(count: n * maxChannels)
            shift = AlignedBuffer(count: n * maxChannels)
            styles = AlignedBuffer(count: n * max(g.styleLength, 1))
            imageA = AlignedBuffer(count: plan.imageActivation)
            imageB = AlignedBuffer(count: plan.imageActivation)
        }

        deinit { stats.deallocate() }

        /// Layer `l`'s (sum, sum of squares) per channel for one image's slot:
        /// laid out [image, slot, 2, channels] for that layer alone.
        func slotStats(layer l: Int, image: Int, slot: Int) -> UnsafeMutablePointer<Double> {
            stats + (image * slotsPerLayer[l] + slot) * 2 * channels[l]
        }
    }

    public func makeWorkspace(batch: Int, threads: Int,
                              perImageFloats: Int = WorkspacePlan.defaultPerImageFloats) -> Workspace {
        Workspace(generator: self, plan: plan(images: batch, threads: threads, perImageFloats: perImageFloats))
    }

    /// Rows per band of the element-wise passes: independent of the batch.
    static func bandRows(width: Int) -> Int { max(1, 4096 / width) }

    /// dlatents `[n, numLayers, dlatent]` -> one `[n, 3, R, R]` tensor per scale.
    public func synthesis(dlatents: [Float], count n: Int, noise: Noise, workspace ws: Workspace) -> [Tensor] {
        synthesis(dlatents: dlatents, count: n, noise: noise, workspace: ws, streaming: false) { _, _ in }
    }

    /// The same pass, handing each image's scales (`[3, R, R]`, 4x4 first) to
    /// `onImage(index, scales)` as soon as it is finished; the scales computed
    /// image by image go through one image's tensors, reused for the next image.
    public func synthesis(dlatents: [Float], count n: Int, noise: Noise, workspace ws: Workspace,
                          onImage: (_ index: Int, _ scales: [Tensor]) throws -> Void) rethrows {
        _ = try synthesis(dlatents: dlatents, count: n, noise: noise, workspace: ws, streaming: true, onImage: onImage)
    }

    private func synthesis(dlatents: [Float], count n: Int, noise: Noise, workspace ws: Workspace, streaming: Bool,
                           onImage: (_ index: Int, _ scales: [Tensor]) throws -> Void) rethrows -> [Tensor] {
        let d = config.dlatentSize, nl = numLayers
        precondition(n >= 1 && n <= ws.batch && dlatents.count == n * nl * d)
        if case .perImage(let arr) = noise { precondition(arr.count == n) }
        let split = ws.perImageFrom ?? nl
        // Streaming: the scales of the layers from the split on are one image's tensors.
        let splitScale = split / 2   // layer 2k (an up-conv) starts scale k
        let batchedScales = streaming ? splitScale : resolutions.count
        var outputs = ws.outputCache.take(resolutions: Array(resolutions[..<batchedScales]), count: n)

        let prof = ws.profile
        // Styles of every layer, per image: s = w_l @ A_l + b_l.
        prof.measure("styles") {
        BLAS.setThreads(1)
        dlatents.withUnsafeBufferPointer { dp in
            for i in 0..<n {
                for (l, layer) in layers.enumerated() {
                    guard let sw = layer.styleWeights, let sb = layer.styleBias else { continue }
                    let dst = ws.styles.pointer + i * styleLength + layer.styleOffset
                    dst.update(from: sb, count: 2 * layer.channels)
                    sw.withUnsafeBufferPointer { wp in
                        BLAS.sgemm(m: 1, n: 2 * layer.channels, k: d, a: dp.baseAddress! + (i * nl + l) * d, lda: d,
                                   b: wp.baseAddress!, ldb: 2 * layer.channels, c: dst, ldc: 2 * layer.channels, beta: 1)
                    }
                }
            }
        }
        }

        var x = ws.act[0].pointer, y = ws.act[1].pointer
        // Layer 0: the learned const, the same for every image.
        let c0 = layers[0].channels
        for i in 0..<n { (x + i * 16 * c0).update(from: constInput, count: 16 * c0) }
        epiloguePass1(layer: 0, buffer: x, count: n, noise: noise, ws: ws)
        epiloguePass2(layer: 0, buffer: x, count: n, ws: ws, rgbOut: nil)

        // Layers 1...: the whole pass, then (large activations) image by image.
        runLayers(1..<split, x: &x, y: &y, count: n, image0: 0, noise: noise, outputs: &outputs, outImage0: 0, scaleBase: 0,
                  ws: ws)
        if split < nl {
            let before = layers[split - 1], inFloats = before.resolution * before.resolution * before.channels
            for img in 0..<n {
                var xi = x + img * inFloats, yi = ws.imageA.pointer
                if streaming {
                    var mine = ws.imageOutputCache.take(resolutions: Array(resolutions[splitScale...]), count: 1)
                    runLayers(split..<nl, x: &xi, y: &yi, count: 1, image0: img, noise: noise, outputs: &mine, outImage0: 0,
                              scaleBase: splitScale, ws: ws, spare: ws.imageB.pointer)
                    let scales = outputs.map { $0.slice(img) } + mine.map { Tensor(shape: Array($0.shape.dropFirst()), data: $0.data) }
                    ws.imageOutputCache.keep(mine)
                    mine = []
                    try onImage(img, scales)
                } else {
                    runLayers(split..<nl, x: &xi, y: &yi, count: 1, image0: img, noise: noise, outputs: &outputs, outImage0: img,
                              scaleBase: 0, ws: ws, spare: ws.imageB.pointer)
                }
            }
        } else if streaming {
            for img in 0..<n { try onImage(img, outputs.map { $0.slice(img) }) }
        }
        prof?.endPass()
        Self.applyProgressiveLod(progressiveLod, to: &outputs)
        ws.outputCache.keep(outputs)
        return outputs
    }

    /// Layers `ls` for `count` images from x (swapping x and y after each
    /// layer), images `image0...` of the pass (their noise and styles); RGB of
    /// scale s into `outputs[s - scaleBase]` from image `outImage0` on.
    /// With `spare`, x is read-only for the first layer (a slice of the batch's
    /// buffer): what would reuse it goes to spare instead.
    private func runLayers(_ ls: Range<Int>, x: inout UnsafeMutablePointer<Float>, y: inout UnsafeMutablePointer<Float>,
                           count n: Int, image0: Int, noise: Noise, outputs: inout [Tensor], outImage0: Int, scaleBase: Int,
                           ws: Workspace, spare: UnsafeMutablePointer<Float>? = nil) {
        let prof = ws.profile, threads = ws.threads
        var first = true
        for l in ls {
            let layer = layers[l]
            let conv = layer.conv!
            let r = layer.resolution, h = conv.upsample ? r / 2 : r
            let isLast = l % 2 == 1
            prof.measure("\(r)x\(r) layer \(l)\(conv.upsample ? " up" : "")\(isLast ? " + rgb" : "") [\(conv.pathDescription)]") {
            if conv.upsample {
                conv.run(x: x, y: y, batch: n, h: h, w: h, scratch: ws.scratch, threads: threads)
                if first, let spare { x = spare }
                if let f = blurFilter {
                    // The up-conv's input is spent: its buffer takes the blur.
                    blurPass(src: y, dst: x, layer: l, count: n, image0: image0, filter: f, noise: noise, ws: ws)
                    swap(&x, &y)
                } else {
                    epiloguePass1(layer: l, buffer: y, count: n, image0: image0, noise: noise, ws: ws)
                }
            } else {
                // Pass 1 rides on each conv tile while it is hot.
                zeroStats(count: n, layer: l, ws: ws)
                conv.run(x: x, y: y, batch: n, h: h, w: h, scratch: ws.scratch, threads: threads, hook: { tile in
                    self.pass1(layer: l, rows: tile.rows, image: image0 + tile.image, firstPixel: tile.firstPixel, pixels: tile.pixels,
                               noise: noise, stats: ws.slotStats(layer: l, image: tile.image, slot: tile.index))
                })
                if first, let spare { x = spare }
            }
            if isLast {
                outputs[l / 2 - scaleBase].data.withUnsafeMutableBufferPointer { op in
                    epiloguePass2(layer: l, buffer: y, count: n, image0: image0, ws: ws, rgbOut: op.baseAddress! + outImage0 * 3 * r * r)
                }
            } else {
                epiloguePass2(layer: l, buffer: y, count: n, image0: image0, ws: ws, rgbOut: nil)
            }
            }
            first = false
            swap(&x, &y)
        }
    }

    // MARK: - Epilogue passes

    private func noisePointer(_ noise: Noise, layer l: Int, image i: Int) -> UnsafePointer<Float>? {
        switch noise {
        case .none: return nil
        case .stored: return layers[l].storedNoise?.withUnsafeBufferPointer { $0.baseAddress }
        case .perImage(let arr): return arr[i][l].withUnsafeBufferPointer { $0.baseAddress }
        }
    }

    /// Pass 1 on a run of pixels of one image.
    private func pass1(layer l: Int, rows: UnsafeMutablePointer<Float>, image i: Int, firstPixel: Int, pixels: Int,
                       noise: Noise, stats: UnsafeMutablePointer<Double>) {
        let layer = layers[l]
        let c = layer.channels
        stats.update(repeating: 0, count: 2 * c)
        let np = noisePointer(noise, layer: l, image: i).map { $0 + firstPixel }
        layer.bias.withUnsafeBufferPointer { bp in
            withOptionalPointer(layer.noiseWeight) { nw in
                StyleOps.noiseBiasAct(rows: rows, pixels: pixels, c: c, noise: nw == nil ? nil : np, noiseWeight: nw,
                                      bias: bp.baseAddress!, slope: 0.2,
                                      pixelNormEpsilon: config.usePixelNorm ? 1e-8 : nil, stats: stats)
            }
        }
    }

    private func zeroStats(count n: Int, layer l: Int, ws: Workspace) {
        (ws.stats).update(repeating: 0, count: n * ws.slotsPerLayer[l] * 2 * ws.channels[l])
    }

    /// Pass 1 over whole images in bands (layers whose conv cannot host it).
    private func epiloguePass1(layer l: Int, buffer: UnsafeMutablePointer<Float>, count n: Int, image0: Int = 0, noise: Noise,
                               ws: Workspace) {
        let layer = layers[l]
        let r = layer.resolution, c = layer.channels
        let rows = Self.bandRows(width: r), bands = (r + rows - 1) / rows
        zeroStats(count: n, layer: l, ws: ws)
        Workers.run(items: n * bands, workers: n * bands >= 2 ? ws.threads : 1) { item, _ in
            let i = item / bands, band = item % bands
            let r0 = band * rows, r1 = min(r, r0 + rows)
            self.pass1(layer: l, rows: buffer + (i * r * r + r0 * r) * c, image: image0 + i, firstPixel: r0 * r,
                       pixels: (r1 - r0) * r, noise: noise, stats: ws.slotStats(layer: l, image: i, slot: band))
        }
    }

    /// Blur of an up-conv's output (before its epilogue, as upstream), then
    /// pass 1 on each blurred band while it is in cache (the same bands and
    /// slots as `epiloguePass1`).
    private func blurPass(src: UnsafeMutablePointer<Float>, dst: UnsafeMutablePointer<Float>, layer l: Int, count n: Int,
                          image0: Int, filter f: (Float, Float, Float), noise: Noise, ws: Workspace) {
        let r = layers[l].resolution, c = layers[l].channels
        let rows = Self.bandRows(width: r), bands = (r + rows - 1) / rows
        zeroStats(count: n, layer: l, ws: ws)
        Workers.run(items: n * bands, workers: n * bands >= 2 ? ws.threads : 1) { item, _ in
            let i = item / bands, band = item % bands
            let r0 = band * rows, r1 = min(r, r0 + rows)
            StyleOps.blur(src: src + i * r * r * c, dst: dst + i * r * r * c, h: r, w: r, c: c, rows: r0..<r1, filter: f)
            self.pass1(layer: l, rows: dst + (i * r * r + r0 * r) * c, image: image0 + i, firstPixel: r0 * r,
                       pixels: (r1 - r0) * r, noise: noise, stats: ws.slotStats(layer: l, image: i, slot: band))
        }
    }

    /// Pass 2: fold instance norm + style into a per-channel affine map, apply
    /// it band by band, and project each finished band to RGB when asked.
    private func epiloguePass2(layer l: Int, buffer: UnsafeMutablePointer<Float>, count n: Int, image0: Int = 0, ws: Workspace,
                               rgbOut: UnsafeMutablePointer<Float>?) {
        let layer = layers[l]
        let r = layer.resolution, c = layer.channels
        let slotsUsed = statSlots(layer: l)
        for i in 0..<n {
            // Reduce slot sums in slot order: the same bits whatever the threads.
            let total = ws.slotStats(layer: l, image: i, slot: 0)
            for s in 1..<max(slotsUsed, 1) {
                let p = ws.slotStats(layer: l, image: i, slot: s)
                for j in 0..<(2 * c) { total[j] += p[j] }
            }
            StyleOps.affine(stats: total, count: r * r, c: c,
                            style: layer.styleWeights == nil ? nil : UnsafePointer(ws.styles.pointer + (image0 + i) * styleLength + layer.styleOffset),
                            instanceNorm: config.useInstanceNorm, epsilon: 1e-8,
                            scale: ws.scale.pointer + i * ws.maxChannels, shift: ws.shift.pointer + i * ws.maxChannels)
        }
        let rows = Self.bandRows(width: r), bands = (r + rows - 1) / rows
        let rgb = rgbOut == nil ? nil : self.rgb[l / 2]
        Workers.run(items: n * bands, workers: n * bands >= 2 ? ws.threads : 1) { item, worker in
            let i = item / bands, band = item % bands
            let r0 = band * rows, r1 = min(r, r0 + rows)
            let band0 = buffer + (i * r * r + r0 * r) * c
            let pixels = (r1 - r0) * r
            StyleOps.applyAffine(rows: band0, pixels: pixels, c: c,
                                 scale: ws.scale.pointer + i * ws.maxChannels, shift: ws.shift.pointer + i * ws.maxChannels)
            if let rgb, let rgbOut {
                ConvLayer.project(rgb, rows: band0, pixels: pixels, channels: c, out: rgbOut + i * 3 * r * r,
                                  planeStride: r * r, offset: r0 * r, panel: ws.scratch.panel(worker))
            }
        }
    }
}

@inline(__always)
func withOptionalPointer<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}
