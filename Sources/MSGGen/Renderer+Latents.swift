import MSGTensor

// MARK: - Rendering given latents (files, walks) rather than seeds

extension Model {
    /// The float32 vector fed to the network for a float64 z [L], by this model's
    /// family rule (MSG-ProGAN: onto the hypersphere; MSG-StyleGAN: cast). A seed's
    /// draw given here renders exactly the seed's image.
    public func latent(z: [Double]) -> [Float] {
        switch backend {
        case .proGAN: Latents.proGAN(z: z)
        case .styleGAN: z.map { Float($0) }
        }
    }

    /// MSG-StyleGAN: the width of w (nil for MSG-ProGAN).
    public var dlatentSize: Int? {
        guard case .styleGAN(let g) = backend else { return nil }
        return g.config.dlatentSize
    }
}

extension Renderer {
    /// One forward pass of up to `batch` z vectors (float64, [L] each): a
    /// `[n, 3, R, R]` tensor per scale. `noiseSeeds[i]` seeds image i's
    /// `--noise random` draws (a seed's own number makes it render as that seed).
    public func forward(z: [[Double]], noiseSeeds: [UInt32], options: RenderOptions = RenderOptions()) throws -> [Tensor] {
        precondition(z.count <= batch && z.count == noiseSeeds.count)
        let fed = z.flatMap { model.latent(z: $0) }
        switch model.backend {
        case .proGAN(let g):
            let ws = proGANWorkspace(g, images: z.count)
            return g.forward(latents: fed, count: z.count, workspace: ws)
        case .styleGAN(let g):
            let t = g.truncation(psi: options.psi, cutoff: options.cutoff)
            let w = g.mapping(latents: fed, count: z.count)
            let dl = g.dlatents(w: w, count: z.count, psi: t.psi, cutoff: t.cutoff)
            return try synthesize(dlatents: dl, noiseSeeds: noiseSeeds, options: options)
        }
    }

    /// MSG-StyleGAN: the w [dlatent] a z [L] maps to, before broadcast and truncation.
    public func mapping(z: [Double]) throws -> [Float] {
        guard case .styleGAN(let g) = model.backend else { throw GenError.wrongFamily(model.name, expected: .msgStyleGAN) }
        return g.mapping(latents: model.latent(z: z), count: 1)
    }

    /// MSG-StyleGAN: dlatents [layers * dlatent] from one w, given as [dlatent]
    /// (broadcast to every layer) or [layers * dlatent], truncated as a render
    /// truncates (`options.psi` / `cutoff`, nil = the model's default; psi 1 = none):
    /// `avg + (w - avg) * psi` on layers below the cutoff.
    public func dlatents(w: [Float], options: RenderOptions) throws -> [Float] {
        guard case .styleGAN(let g) = model.backend else { throw GenError.wrongFamily(model.name, expected: .msgStyleGAN) }
        let d = g.config.dlatentSize, nl = g.numLayers
        let t = g.truncation(psi: options.psi, cutoff: options.cutoff)
        if w.count == d { return g.dlatents(w: w, count: 1, psi: t.psi, cutoff: t.cutoff) }
        guard w.count == nl * d else {
            throw GenError.invalidOption("\(model.name): w has \(w.count) values; expected \(d) or \(nl) x \(d)")
        }
        guard t.psi != 1 else { return w }
        var out = w
        for l in 0..<t.cutoff { for j in 0..<d {
            out[l * d + j] = g.dlatentAvg[j] + (w[l * d + j] - g.dlatentAvg[j]) * t.psi
        } }
        return out
    }

    /// Renders every frame of `walk` in batches of `batch`, calling
    /// `onFrame(index, scales)` in order as each batch is done (scales `[3, R, R]`,
    /// 4x4 first). Memory holds one batch whatever the frame count. In z, frames
    /// interpolate the float64 keyframes; in w (MSG-StyleGAN), the keyframes'
    /// untruncated w (float32, widened to float64), each frame cast back to float32
    /// and then truncated as a render is. Keyframes render bit for bit as their seeds.
    public func render(walk: LatentWalk, options: RenderOptions = RenderOptions(),
                       onFrame: (_ index: Int, _ scales: [Tensor]) throws -> Void) throws {
        let keys: [[Double]]
        switch walk.space {
        case .z: keys = walk.keyframes
        case .w: keys = try walk.keyframes.map { try mapping(z: $0).map(Double.init) }
        }
        var start = 0
        while start < walk.frameCount {
            let frames = start..<min(walk.frameCount, start + batch)
            let seeds = frames.map { walk.noiseSeed($0) }
            let outputs: [Tensor]
            switch walk.space {
            case .z:
                outputs = try forward(z: frames.map { walk.vector($0, keys: keys) }, noiseSeeds: seeds, options: options)
            case .w:
                let dl = try frames.flatMap { try dlatents(w: walk.vector($0, keys: keys).map { Float($0) }, options: options) }
                outputs = try synthesize(dlatents: dl, noiseSeeds: seeds, options: options)
            }
            for (j, i) in frames.enumerated() { try onFrame(i, outputs.map { $0.slice(j) }) }
            start = frames.upperBound
        }
    }
}
