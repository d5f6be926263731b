import MSGKernels

/// What a renderer's workspace holds for one pass of `images` images: the
/// sizes every buffer is allocated with, computed from the model's shapes
/// alone (no buffer is touched to plan).
///
/// A pass runs layer by layer over all its images up to `perImageFrom`, then
/// image by image: the low-resolution activations scale with the pass, the
/// high-resolution ones are one image's whatever the pass
/// (`batchedActivation * images` vs `imageActivation`). Counts are floats
/// unless the name says bytes.
public struct WorkspacePlan: Sendable, Equatable {
    /// Images one pass may hold (the renderer re-plans when a larger pass comes).
    public var images: Int
    /// Worker threads the scratch is sized for.
    public var threads: Int
    /// First block (MSG-ProGAN) or layer (MSG-StyleGAN, always an up-conv) run
    /// image by image; nil: the model is small enough to run every layer batched.
    public var perImageFrom: Int?
    /// Floats of one image's largest activation among the layers run batched.
    public var batchedActivation: Int
    /// Floats of one image's largest activation among the layers run image by image.
    public var imageActivation: Int
    /// Conv scratch (per worker: im2col and panels; shared: a Winograd band's V and M).
    public var scratch: ScratchNeeds
    /// Everything else (StyleGAN's statistics, styles, affine maps), bytes.
    public var otherBytes: Int

    /// Bytes of all buffers: two ping-pong activation buffers for the batched
    /// layers (`images` each), two for the per-image layers, the scratch, the rest.
    /// Output tensors are not counted: a pass hands them to its caller.
    public var bytes: Int {
        let f = MemoryLayout<Float>.stride
        let act = 2 * batchedActivation * images + 2 * imageActivation
        let perWorker = threads * (scratch.col + scratch.panel)
        return (act + perWorker + scratch.bandV + scratch.bandM) * f + otherBytes
    }

    /// Per-image activation size (floats) from which a pass runs image by image:
    /// 4 MB, where one image's activations stop fitting the last-level cache
    /// together with the next layer's (measured: progan-256 at batch 8 had been
    /// slower per image than at batch 1 when the whole batch went layer by layer).
    public static let defaultPerImageFloats = 1 << 20
}
