import MSGGen
import MSGTensor

/// What a render renders: seeds, z vectors or w vectors (from a file or a
/// request body), one image each. The CLI and the server render through it.
public enum LatentsSource: Sendable {
    case seeds([UInt32])
    case z([[Double]], file: String)
    case w([[Float]], file: String)

    public var count: Int {
        switch self {
        case .seeds(let s): s.count
        case .z(let z, _): z.count
        case .w(let w, _): w.count
        }
    }

    /// The seed of image i's `--noise random` draws: its seed, or its index in a file.
    public func noiseSeed(_ i: Int) -> UInt32 {
        if case .seeds(let s) = self { return s[i] }
        return UInt32(truncatingIfNeeded: i)
    }

    /// Renders in batches; `onImage(i, scales, z, w)` gets each image with the
    /// z it came from (nil for given w) and its final dlatents (nil for msg-progan).
    public func render(_ renderer: Renderer, options: RenderOptions,
                onImage: (_ i: Int, _ scales: [Tensor], _ z: [Double]?, _ w: [Float]?) throws -> Void) throws {
        let model = renderer.model
        var start = 0
        while start < count {
            let items = start..<min(count, start + renderer.batch)
            let seeds = items.map { noiseSeed($0) }
            var zs: [[Double]?] = items.map { _ in nil }, ws: [[Float]?] = items.map { _ in nil }
            let out: [Tensor]
            switch self {
            case .seeds(let s):
                zs = items.map { Latents.gaussian(seed: s[$0], count: model.latentSize) }
                out = try renderer.forward(z: zs.map { $0! }, noiseSeeds: seeds, options: options)
            case .z(let z, _):
                zs = items.map { z[$0] }
                out = try renderer.forward(z: zs.map { $0! }, noiseSeeds: seeds, options: options)
            case .w(let w, _):
                // A given w is final unless --psi asks for truncation.
                var o = options
                if o.psi == nil { o.psi = 1 }
                ws = try items.map { try renderer.dlatents(w: w[$0], options: o) }
                out = try renderer.synthesize(dlatents: ws.flatMap { $0! }, noiseSeeds: seeds, options: options)
            }
            if model.family == .msgStyleGAN, ws.allSatisfy({ $0 == nil }) {
                ws = try zs.map { try renderer.dlatents(w: renderer.mapping(z: $0!), options: options) }
            }
            for (j, i) in items.enumerated() { try onImage(i, out.map { $0.slice(j) }, zs[j], ws[j]) }
            start = items.upperBound
        }
    }
}
