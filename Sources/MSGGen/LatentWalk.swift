import Foundation

/// How a walk moves between two keyframes.
public enum Interpolation: String, Sendable, CaseIterable {
    /// `(1 - t) a + t b`.
    case linear
    /// Spherical: `sin((1-t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b`, Ω the angle between a and b.
    case slerp
}

/// Where a walk interpolates: the latent z, or (MSG-StyleGAN) the mapping
/// network's output w before truncation.
public enum LatentSpace: String, Sendable, CaseIterable {
    case z, w
}

/// Latent arithmetic in float64 (as every latent is computed; cast to float32
/// only when fed to the network). Pinned by tools/reference/walk.py.
public enum LatentMath {
    /// Below this angle (radians) slerp falls back to linear.
    public static let slerpMinAngle = 1e-8

    /// `(1 - t) * a + t * b`, element by element. a, b: [L].
    public static func linear(_ a: [Double], _ b: [Double], t: Double) -> [Double] {
        precondition(a.count == b.count)
        return (0..<a.count).map { (1 - t) * a[$0] + t * b[$0] }
    }

    /// Slerp on the raw vectors: Ω = arccos(clamp(â · b̂, -1, 1)) with â = a/|a|,
    /// b̂ = b/|b|; `sin((1-t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b`; linear when Ω < 1e-8
    /// (or either vector is zero).
    public static func slerp(_ a: [Double], _ b: [Double], t: Double) -> [Double] {
        precondition(a.count == b.count)
        let na = norm(a), nb = norm(b)
        guard na > 0, nb > 0 else { return linear(a, b, t: t) }
        var dot = 0.0
        for i in a.indices { dot += (a[i] / na) * (b[i] / nb) }
        let omega = acos(min(1, max(-1, dot)))
        guard omega >= slerpMinAngle else { return linear(a, b, t: t) }
        let so = sin(omega)
        let ca = sin((1 - t) * omega) / so, cb = sin(t * omega) / so
        return (0..<a.count).map { ca * a[$0] + cb * b[$0] }
    }

    public static func interpolate(_ rule: Interpolation, _ a: [Double], _ b: [Double], t: Double) -> [Double] {
        switch rule {
        case .linear: linear(a, b, t: t)
        case .slerp: slerp(a, b, t: t)
        }
    }

    /// Euclidean norm, summed in order.
    public static func norm(_ v: [Double]) -> Double {
        v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
}

/// The frames of a walk through latent space: keyframes joined by interpolated
/// segments, or an explicit list (the random walk). Frame `j * framesPerSegment`
/// is keyframe j itself (its exact vector, never recomputed), so it renders the
/// keyframe's own image bit for bit.
public struct LatentWalk: Sendable {
    /// Keyframes: z vectors [L] in float64 (seed draws or a latents file), and the
    /// seed each one's `--noise random` draws from.
    public let keyframes: [[Double]]
    public let noiseSeeds: [UInt32]
    public let framesPerSegment: Int
    public let loop: Bool
    public let space: LatentSpace
    public let interpolation: Interpolation

    /// Most frames one walk renders (the CLI and server limits).
    public static let maxFrames = 10_000

    /// - Throws: `GenError.invalidOption` for fewer than two keyframes, fewer than
    ///   one frame per segment, mismatched lengths or more than `maxFrames` frames.
    public init(keyframes: [[Double]], noiseSeeds: [UInt32], framesPerSegment: Int, loop: Bool = false,
                space: LatentSpace = .z, interpolation: Interpolation = .slerp) throws(GenError) {
        guard keyframes.count >= 2 else {
            throw .invalidOption("a walk needs two or more keyframes, got \(keyframes.count)")
        }
        guard noiseSeeds.count == keyframes.count else {
            throw .invalidOption("\(keyframes.count) keyframes but \(noiseSeeds.count) noise seeds")
        }
        guard let l = keyframes.first?.count, l > 0, keyframes.allSatisfy({ $0.count == l }) else {
            throw .invalidOption("keyframes differ in length")
        }
        guard framesPerSegment >= 1 else {
            throw .invalidOption("frames per segment must be 1 or more, got \(framesPerSegment)")
        }
        let segments = loop ? keyframes.count : keyframes.count - 1
        let (n, overflow) = segments.multipliedReportingOverflow(by: framesPerSegment)
        guard !overflow, n <= Self.maxFrames - (loop ? 0 : 1) else {
            throw .invalidOption("the walk would have \(overflow ? "too many" : "\(n) or more") frames (limit \(Self.maxFrames))")
        }
        self.keyframes = keyframes
        self.noiseSeeds = noiseSeeds
        self.framesPerSegment = framesPerSegment
        self.loop = loop
        self.space = space
        self.interpolation = interpolation
    }

    /// (K-1)·N + 1, or K·N with `loop` (the last segment returns to keyframe 0,
    /// which is not repeated).
    public var frameCount: Int {
        loop ? keyframes.count * framesPerSegment : (keyframes.count - 1) * framesPerSegment + 1
    }

    /// Frame i lies `step` frames into the segment from keyframe `from` to `to`;
    /// t = step / N. step 0 is keyframe `from` itself.
    public func position(_ i: Int) -> (from: Int, to: Int, step: Int) {
        precondition(i >= 0 && i < frameCount)
        let j = i / framesPerSegment, step = i % framesPerSegment
        if !loop && j == keyframes.count - 1 { return (j, j, 0) }  // the last keyframe of an open walk
        return (j, (j + 1) % keyframes.count, step)
    }

    /// Interpolates between two keyframe vectors (z draws, or w widened to float64)
    /// at frame i's t; the keyframe's own vector at step 0.
    public func vector(_ i: Int, keys: [[Double]]) -> [Double] {
        let p = position(i)
        guard p.step > 0 else { return keys[p.from] }
        let t = Double(p.step) / Double(framesPerSegment)
        return LatentMath.interpolate(interpolation, keys[p.from], keys[p.to], t: t)
    }

    /// The noise seed of frame i: its segment's first keyframe's (so noise is
    /// constant along a segment and switches at keyframes).
    public func noiseSeed(_ i: Int) -> UInt32 { noiseSeeds[position(i).from] }
}

/// The random walk of msg-stylegan-tf's `latent_space_interpolation_video.py`:
/// `rnd = RandomState(seed)`, `z = rnd.randn(frames, L)`,
/// `z = scipy.ndimage.gaussian_filter(z, [sigma, 0], mode="wrap")` (smoothing
/// along time only, circular, so the walk loops), then every row put on the
/// sphere of radius sqrt(L): `z / ||z|| * sqrt(L)`. Upstream's sigma is
/// `smoothing * transition_points`, its frames per point; here
/// `sigma = smoothing * fps` frames, i.e. `smoothing` is in seconds.
public enum RandomWalk {
    /// Frames x L float64 values are held; this bounds them (8 bytes each).
    public static let maxValues = 1 << 26
    /// Multiply-adds the smoothing may take (about a second).
    public static let maxWork = Double(1 << 31)

    /// The frames' z vectors, float64 [frames][L].
    /// - Throws: `GenError.invalidOption` for frames < 1, sigma not finite or < 0,
    ///   or frames x L above `maxValues`.
    public static func latents(seed: UInt32, frames: Int, latentSize l: Int, sigma: Double) throws(GenError) -> [[Double]] {
        guard frames >= 1 else { throw .invalidOption("a random walk needs 1 or more frames, got \(frames)") }
        guard sigma.isFinite, sigma >= 0 else { throw .invalidOption("smoothing must be a finite number >= 0, got \(sigma)") }
        let (values, overflow) = frames.multipliedReportingOverflow(by: l)
        guard !overflow, values <= maxValues else {
            throw .invalidOption("a random walk of \(frames) frames x \(l) latent values exceeds \(maxValues) values")
        }
        var rs = RandomState(seed: seed)
        let draws = rs.randn(values)
        let weights = gaussianKernel(sigma: sigma)
        let radius = weights.count / 2
        guard Double(values) * Double(radius + 1) <= maxWork else {
            throw .invalidOption("smoothing \(sigma) frames over \(frames) frames is too much work (a kernel of \(weights.count) taps); use less smoothing or fewer frames")
        }
        var out: [[Double]] = []
        out.reserveCapacity(frames)
        let r = Double(l).squareRoot()
        for f in 0..<frames {
            // scipy's correlate1d, symmetric kernel: x[f]·w0 + Σ_{k=r..1} (x[f-k] + x[f+k])·w_k, wrapped.
            var z = [Double](repeating: 0, count: l)
            for c in 0..<l {
                var acc = draws[f * l + c] * weights[radius]
                for k in stride(from: radius, through: 1, by: -1) {
                    let lo = ((f - k) % frames + frames) % frames, hi = (f + k) % frames
                    acc += (draws[lo * l + c] + draws[hi * l + c]) * weights[radius - k]
                }
                z[c] = acc
            }
            let n = LatentMath.norm(z)
            out.append(z.map { $0 / n * r })
        }
        return out
    }

    /// scipy.ndimage's `_gaussian_kernel1d(sigma, 0, radius)` with radius
    /// `int(4 * sigma + 0.5)`: exp(-x²/(2σ²)) normalised to sum 1; [1.0] for sigma 0.
    static func gaussianKernel(sigma: Double) -> [Double] {
        guard sigma > 0 else { return [1] }
        let radius = Int(4 * sigma + 0.5)
        let phi = (-radius...radius).map { x -> Double in exp(-0.5 / (sigma * sigma) * Double(x * x)) }
        let sum = phi.reduce(0, +)
        return phi.map { $0 / sum }
    }
}
