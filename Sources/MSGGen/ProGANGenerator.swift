import Foundation
import MSGKernels
import MSGTensor
import MSGWeights

/// MSG-ProGAN forward pass (BMSG-GAN `Generator`, use_eql=True), weights folded
/// once at load; immutable, shared by every worker.
///
/// Per image: z [L] -> block 0 (4x4) -> blocks 1..D-1, each doubling the size;
/// after every block its to-RGB gives that scale's image [3, R, R].
public final class ProGANGenerator: @unchecked Sendable {
    public let config: ProGANConfig
    /// ConvTranspose2d 4x4 on a 1x1 input is a GEMM: [1, L] x [L, 16 * L],
    /// column (ky * 4 + kx) * L + co, i.e. its output is already NHWC [4, 4, L].
    let deconv: PackedGEMM
    let deconvBias: [Float]
    let layers: [ConvLayer]   // block 0 conv_2, then (conv_1 with upsample, conv_2) per block
    let rgb: [ToRGB]

    /// `strategy`: how conv layers compute (tests force one path to compare);
    /// `precision`: their arithmetic (`Precision`; callers check `require()`).
    public init(model: ModelFile, strategy: ConvLayer.Strategy = .auto, precision: Precision = .fp32) throws {
        guard case .proGAN(let cfg) = model.config else { throw GenError.wrongFamily(model.name, expected: .msgProGAN) }
        guard cfg.useEql else { throw GenError.unsupported(model.name, "use_eql false (BMSG-GAN's un-equalized layers)") }
        config = cfg
        let l = cfg.latentSize
        func eq(_ fanIn: Int) -> Float { Float(2.0.squareRoot() / Double(fanIn).squareRoot()) }

        // layers.0.conv_1: ConvTranspose2d weight [in, out, 4, 4], fan_in = in.
        let dw = try model.floats("layers.0.conv_1.weight")
        let ds = eq(l)
        var packed = [Float](repeating: 0, count: l * 16 * l)
        for ci in 0..<l { for co in 0..<l { for t in 0..<16 {
            packed[ci * 16 * l + t * l + co] = dw[(ci * l + co) * 16 + t] * ds
        } } }
        deconv = PackedGEMM(weights: packed, k: l, n: 16 * l)
        deconvBias = try model.floats("layers.0.conv_1.bias")

        func conv(_ prefix: String, cin: Int, cout: Int, upsample: Bool, inputSize: Int) throws -> ConvLayer {
            let w = try model.floats(prefix + ".weight")
            let b = try model.floats(prefix + ".bias")
            let pc = PackedConv(torchWeight: w, cout: cout, cin: cin, kh: 3, kw: 3, bias: b, scale: eq(cin * 9))
            return ConvLayer(conv: pc, upsample: upsample, epilogue: Epilogue(leakySlope: 0.2, pixelNormEpsilon: 1e-8),
                             strategy: strategy, inputSize: inputSize, precision: precision)
        }
        var layers = [try conv("layers.0.conv_2", cin: l, cout: l, upsample: false, inputSize: 4)]
        var rgb: [ToRGB] = []
        for i in 0..<cfg.depth {
            let c = cfg.channels(block: i)
            if i > 0 {
                let cPrev = cfg.channels(block: i - 1)
                layers.append(try conv("layers.\(i).conv_1", cin: cPrev, cout: c, upsample: true, inputSize: 2 << i))
                layers.append(try conv("layers.\(i).conv_2", cin: c, cout: c, upsample: false, inputSize: 4 << i))
            }
            // rgb_converters.i: Conv2d [3, C, 1, 1], gain sqrt(2), fan_in C -> packed [C, 3].
            let w = try model.floats("rgb_converters.\(i).weight")
            let s = eq(c)
            var p = [Float](repeating: 0, count: c * 3)
            for o in 0..<3 { for k in 0..<c { p[k * 3 + o] = w[o * c + k] * s } }
            rgb.append(ToRGB(weights: p, bias: try model.floats("rgb_converters.\(i).bias")))
        }
        self.layers = layers
        self.rgb = rgb
    }

    public var resolutions: [Int] { config.resolutions }

    /// Multiply-adds x 2 of the direct (un-folded) convolutions per image: the
    /// figure benchmarks divide by time.
    public var flopsPerImage: Double {
        let l = Double(config.latentSize)
        var f = 2 * l * 16 * l + 2 * 9 * l * l * 16 + 2 * l * 3 * 16
        for i in 1..<max(config.depth, 1) {
            let r = Double(4 << i), cp = Double(config.channels(block: i - 1)), c = Double(config.channels(block: i))
            f += 2 * 9 * cp * c * r * r + 2 * 9 * c * c * r * r + 2 * c * 3 * r * r
        }
        return f
    }

    // MARK: - Forward

    /// The block from which a pass runs image by image: the first whose
    /// per-image output has at least `perImageFloats` floats (nil: none has).
    func perImageFrom(perImageFloats: Int) -> Int? {
        var r = 8
        for i in 1..<max(config.depth, 1) {
            if r * r * config.channels(block: i) >= perImageFloats { return i }
            r *= 2
        }
        return nil
    }

    /// The buffers a pass of `images` images needs (see `WorkspacePlan`): the
    /// blocks before the split at `images`, the blocks after it at one image.
    public func plan(images: Int, threads: Int,
                     perImageFloats: Int = WorkspacePlan.defaultPerImageFloats) -> WorkspacePlan {
        let n = max(1, images), workers = max(1, threads)
        let from = perImageFrom(perImageFloats: perImageFloats)
        let split = from ?? config.depth
        var batched = 16 * max(config.latentSize, config.channels(block: 0)), perImage = 0
        var needs = layers[0].scratchNeeds(h: 4, w: 4, batch: n, workers: workers)
        var size = 8
        for i in 1..<max(config.depth, 1) {
            let c = config.channels(block: i), k = i < split ? n : 1
            if i < split { batched = max(batched, size * size * c) } else { perImage = max(perImage, size * size * c) }
            needs = needs.union(layers[2 * i - 1].scratchNeeds(h: size / 2, w: size / 2, batch: k, workers: workers))
            needs = needs.union(layers[2 * i].scratchNeeds(h: size, w: size, batch: k, workers: workers))
            size *= 2
        }
        return WorkspacePlan(images: n, threads: workers, perImageFrom: from, batchedActivation: batched,
                             imageActivation: perImage, scratch: needs, otherBytes: 0)
    }

    /// Buffers for passes of up to `plan.images` images, allocated once and reused.
    public final class Workspace: @unchecked Sendable {
        public let plan: WorkspacePlan
        public var batch: Int { plan.images }
        public var threads: Int { plan.threads }
        /// Batched blocks: two NHWC ping-pong buffers of `batch` images.
        let a: AlignedBuffer
        let b: AlignedBuffer
        let scratch: ConvScratch
        /// From this block on, a pass runs image by image (nil: never), through
        /// `imageA`/`imageB`: one image's activations there stay in cache from
        /// layer to layer, a whole batch's would go through memory, and the
        /// largest buffers are one image's whatever the pass.
        var perImageFrom: Int? { plan.perImageFrom }
        /// The last pass's output tensors, reused by the next.
        let outputCache = OutputCache()
        /// Per-image scales' tensors of a streamed pass (`forward(..., onImage:)`).
        let imageOutputCache = OutputCache()
        let imageA: AlignedBuffer
        let imageB: AlignedBuffer
        /// Per-layer timing for `bench --profile` (nil: off).
        public var profile: LayerProfile?

        init(plan: WorkspacePlan) {
            self.plan = plan
            a = AlignedBuffer(count: plan.batchedActivation * plan.images)
            b = AlignedBuffer(count: plan.batchedActivation * plan.images)
            scratch = ConvScratch(workers: plan.threads, needs: plan.scratch)
            imageA = AlignedBuffer(count: plan.imageActivation)
            imageB = AlignedBuffer(count: plan.imageActivation)
        }
    }

    public func makeWorkspace(batch: Int, threads: Int,
                              perImageFloats: Int = WorkspacePlan.defaultPerImageFloats) -> Workspace {
        Workspace(plan: plan(images: batch, threads: threads, perImageFloats: perImageFloats))
    }

    /// z: `[n, L]` float32 latents (n <= workspace.batch) -> one `[n, 3, R, R]`
    /// tensor per scale, 4x4 first.
    public func forward(latents z: [Float], count n: Int, workspace ws: Workspace) -> [Tensor] {
        forward(latents: z, count: n, workspace: ws, streaming: false) { _, _ in }
    }

    /// The same pass, handing each image's scales (`[3, R, R]`, 4x4 first) to
    /// `onImage(index, scales)` as soon as it is finished: the scales computed
    /// image by image go through one image's tensors, reused for the next image
    /// (so a pass of n images never holds n full-resolution outputs).
    public func forward(latents z: [Float], count n: Int, workspace ws: Workspace,
                        onImage: (_ index: Int, _ scales: [Tensor]) throws -> Void) rethrows {
        _ = try forward(latents: z, count: n, workspace: ws, streaming: true, onImage: onImage)
    }

    private func forward(latents z: [Float], count n: Int, workspace ws: Workspace, streaming: Bool,
                         onImage: (_ index: Int, _ scales: [Tensor]) throws -> Void) rethrows -> [Tensor] {
        let l = config.latentSize
        precondition(n >= 1 && n <= ws.batch && z.count == n * l, "latents must be [n, \(l)] with n <= batch")
        let threads = ws.threads
        let split = ws.perImageFrom ?? config.depth
        // Streaming: scales from the split on are one image's tensors.
        let batchedScales = streaming ? split : config.depth
        var outputs = ws.outputCache.take(resolutions: Array(config.resolutions[..<batchedScales]), count: n)
        var x = ws.a.pointer, y = ws.b.pointer

        // Block 0, conv_1: one GEMM row per image (rows never mix: batching
        // does not change an image's bits).
        let prof = ws.profile
        prof.measure("4x4 conv_1 (deconv)") {
        z.withUnsafeBufferPointer { zp in
            deconv.run(a: zp.baseAddress!, m: n, c: x, threads: threads)
        }
        deconvBias.withUnsafeBufferPointer { bp in
            Epilogue(leakySlope: 0.2).apply(rows: x, pixels: n * 16, channels: l, bias: bp.baseAddress!)
        }
        }
        // Block 0, conv_2 + its to-RGB.
        prof.measure("4x4 conv_2 + rgb [\(layers[0].pathDescription)]") {
        outputs[0].data.withUnsafeMutableBufferPointer { op in
            layers[0].run(x: x, y: y, batch: n, h: 4, w: 4, scratch: ws.scratch, threads: threads,
                          rgb: rgb[0], rgbOut: op.baseAddress!)
        }
        }
        swap(&x, &y)
        // Blocks 1...: the whole pass, then (large activations) image by image.
        runBlocks(1..<split, x: &x, y: &y, count: n, image: 0, outputs: &outputs, scaleBase: 0, ws: ws)
        if split < config.depth {
            let inputSize = 2 << split, c = config.channels(block: split - 1)   // block i: 2^(i+1) -> 2^(i+2)
            for img in 0..<n {
                var xi = x + img * inputSize * inputSize * c, yi = ws.imageA.pointer
                if streaming {
                    var mine = ws.imageOutputCache.take(resolutions: Array(config.resolutions[split...]), count: 1)
                    runBlocks(split..<config.depth, x: &xi, y: &yi, count: 1, image: 0, outputs: &mine, scaleBase: split,
                              ws: ws, spare: ws.imageB.pointer)
                    let scales = outputs.map { $0.slice(img) } + mine.map { Tensor(shape: Array($0.shape.dropFirst()), data: $0.data) }
                    ws.imageOutputCache.keep(mine)
                    mine = []
                    try onImage(img, scales)
                } else {
                    runBlocks(split..<config.depth, x: &xi, y: &yi, count: 1, image: img, outputs: &outputs, scaleBase: 0,
                              ws: ws, spare: ws.imageB.pointer)
                }
            }
        } else if streaming {
            for img in 0..<n { try onImage(img, outputs.map { $0.slice(img) }) }
        }
        prof?.endPass()
        ws.outputCache.keep(outputs)
        return outputs
    }

    /// Blocks `blocks` for `count` images from x (swapping x and y after each
    /// layer); their RGB into `outputs` (scale s at `outputs[s - scaleBase]`)
    /// from image `image` on. With `spare`,
    /// the first layer's input buffer is not reused: outputs ping-pong between
    /// y and spare.
    private func runBlocks(_ blocks: Range<Int>, x: inout UnsafeMutablePointer<Float>, y: inout UnsafeMutablePointer<Float>,
                           count n: Int, image: Int, outputs: inout [Tensor], scaleBase: Int, ws: Workspace,
                           spare: UnsafeMutablePointer<Float>? = nil) {
        let prof = ws.profile, threads = ws.threads
        var first = true
        for i in blocks {
            let size = 2 << i   // input size of block i (block 1: 4x4 -> 8x8)
            prof.measure("\(2 * size)x\(2 * size) conv_1 (up) [\(layers[2 * i - 1].pathDescription)]") {
                layers[2 * i - 1].run(x: x, y: y, batch: n, h: size, w: size, scratch: ws.scratch, threads: threads)
            }
            if first, let spare { x = spare }
            first = false
            swap(&x, &y)
            let r = 2 * size
            prof.measure("\(r)x\(r) conv_2 + rgb [\(layers[2 * i].pathDescription)]") {
                outputs[i - scaleBase].data.withUnsafeMutableBufferPointer { op in
                    layers[2 * i].run(x: x, y: y, batch: n, h: r, w: r, scratch: ws.scratch, threads: threads,
                                      rgb: rgb[i], rgbOut: op.baseAddress! + image * 3 * r * r)
                }
            }
            swap(&x, &y)
        }
    }
}
