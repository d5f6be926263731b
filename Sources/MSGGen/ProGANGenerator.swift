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

    /// `strategy`: how conv layers compute (tests force one path to compare).
    public init(model: ModelFile, strategy: ConvLayer.Strategy = .auto) throws {
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
                             strategy: strategy, inputSize: inputSize)
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

    /// Buffers for one batch size, planned once and reused by every call.
    public final class Workspace: @unchecked Sendable {
        public let batch: Int
        public let threads: Int
        let a: AlignedBuffer
        let b: AlignedBuffer
        let scratch: ConvScratch
        /// From this block on, a batch runs image by image (nil: never), through
        /// `imageA`/`imageB`: one image's activations there stay in cache from
        /// layer to layer, a whole batch's would go through memory.
        let perImageFrom: Int?
        /// The last pass's output tensors, reused by the next.
        let outputCache = OutputCache()
        let imageA: AlignedBuffer
        let imageB: AlignedBuffer
        /// Per-layer timing for `bench --profile` (nil: off).
        public var profile: LayerProfile?

        init(generator g: ProGANGenerator, batch: Int, threads: Int) {
            self.batch = batch
            self.threads = max(1, threads)
            var act = 16 * g.config.latentSize
            var needs = ScratchNeeds()
            var size = 4, li = 0
            for i in 0..<g.config.depth {
                let c = g.config.channels(block: i)
                act = max(act, size * size * c)
                if i == 0 {
                    needs = needs.union(g.layers[0].scratchNeeds(h: 4, w: 4, batch: batch, workers: self.threads)); li = 1
                } else {
                    for (layer, h) in [(g.layers[li], size / 2), (g.layers[li + 1], size)] {
                        needs = needs.union(layer.scratchNeeds(h: h, w: h, batch: batch, workers: self.threads))
                    }
                    li += 2
                }
                size *= 2
            }
            a = AlignedBuffer(count: act * batch)
            b = AlignedBuffer(count: act * batch)
            scratch = ConvScratch(workers: self.threads, needs: needs)
            // Blocks whose per-image output has >= 1M floats (4 MB): a batch of
            // those no longer fits in the last-level cache between layers
            // (measured: progan-256 at batch 8 was slower per image than at 1).
            var from: Int?, perImage = 0, r = 8
            for i in 1..<max(g.config.depth, 1) {
                let floats = r * r * g.config.channels(block: i)
                if batch > 1 && floats >= ProGANGenerator.perImageFloats && from == nil { from = i }
                if from != nil { perImage = max(perImage, floats) }
                r *= 2
            }
            perImageFrom = from
            imageA = AlignedBuffer(count: perImage)
            imageB = AlignedBuffer(count: perImage)
        }
    }

    /// Per-image activation size (floats) from which a batch runs image by image.
    /// Tests lower it to run that path on small models (it never changes bits)
    /// with `$perImageFloats.withValue(1) { ... }`: a task-local value, read when a
    /// workspace is planned, so tests running in parallel never see each other's.
    @TaskLocal static var perImageFloats = 1 << 20

    public func makeWorkspace(batch: Int, threads: Int) -> Workspace {
        Workspace(generator: self, batch: batch, threads: threads)
    }

    /// z: `[n, L]` float32 latents (n <= workspace.batch) -> one `[n, 3, R, R]`
    /// tensor per scale, 4x4 first.
    public func forward(latents z: [Float], count n: Int, workspace ws: Workspace) -> [Tensor] {
        let l = config.latentSize
        precondition(n >= 1 && n <= ws.batch && z.count == n * l, "latents must be [n, \(l)] with n <= batch")
        let threads = ws.threads
        var outputs = ws.outputCache.take(resolutions: config.resolutions, count: n)
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
        prof.measure("4x4 conv_2 + rgb") {
        outputs[0].data.withUnsafeMutableBufferPointer { op in
            layers[0].run(x: x, y: y, batch: n, h: 4, w: 4, scratch: ws.scratch, threads: threads,
                          rgb: rgb[0], rgbOut: op.baseAddress!)
        }
        }
        swap(&x, &y)
        // Blocks 1...: the whole batch, then (large activations) image by image.
        let split = n > 1 ? (ws.perImageFrom ?? config.depth) : config.depth
        runBlocks(1..<split, x: &x, y: &y, count: n, image: 0, outputs: &outputs, ws: ws)
        if split < config.depth {
            let inputSize = 2 << split, c = config.channels(block: split - 1)   // block i: 2^(i+1) -> 2^(i+2)
            for img in 0..<n {
                var xi = x + img * inputSize * inputSize * c, yi = ws.imageA.pointer
                runBlocks(split..<config.depth, x: &xi, y: &yi, count: 1, image: img, outputs: &outputs, ws: ws,
                          spare: ws.imageB.pointer)
            }
        }
        prof?.endPass()
        ws.outputCache.keep(outputs)
        return outputs
    }

    /// Blocks `blocks` for `count` images from x (swapping x and y after each
    /// layer); their RGB into `outputs` from image `image` on. With `spare`,
    /// the first layer's input buffer is not reused: outputs ping-pong between
    /// y and spare.
    private func runBlocks(_ blocks: Range<Int>, x: inout UnsafeMutablePointer<Float>, y: inout UnsafeMutablePointer<Float>,
                           count n: Int, image: Int, outputs: inout [Tensor], ws: Workspace,
                           spare: UnsafeMutablePointer<Float>? = nil) {
        let prof = ws.profile, threads = ws.threads
        var first = true
        for i in blocks {
            let size = 2 << i   // input size of block i (block 1: 4x4 -> 8x8)
            prof.measure("\(2 * size)x\(2 * size) conv_1 (up)") {
                layers[2 * i - 1].run(x: x, y: y, batch: n, h: size, w: size, scratch: ws.scratch, threads: threads)
            }
            if first, let spare { x = spare }
            first = false
            swap(&x, &y)
            let r = 2 * size
            prof.measure("\(r)x\(r) conv_2 + rgb") {
                outputs[i].data.withUnsafeMutableBufferPointer { op in
                    layers[2 * i].run(x: x, y: y, batch: n, h: r, w: r, scratch: ws.scratch, threads: threads,
                                      rgb: rgb[i], rgbOut: op.baseAddress! + image * 3 * r * r)
                }
            }
            swap(&x, &y)
        }
    }
}
