/// Latent vectors for seeds, exactly as upstream draws them (SEMANTICS.md):
/// `numpy.random.RandomState(seed).randn(latent_size)` in float64.
public enum Latents {
    /// The raw float64 draw for one seed.
    public static func gaussian(seed: UInt32, count: Int) -> [Double] {
        var rs = RandomState(seed: seed)
        return rs.randn(count)
    }

    /// MSG-ProGAN: the draw put on the hypersphere, `z / ||z|| * sqrt(L)` (as
    /// BMSG-GAN's sampling scripts do), in float64, then cast to float32.
    public static func proGAN(seed: UInt32, latentSize l: Int) -> [Float] {
        proGAN(z: gaussian(seed: seed, count: l))
    }

    /// MSG-ProGAN: any float64 z [L] put on the hypersphere and cast to float32.
    public static func proGAN(z: [Double]) -> [Float] {
        let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let r = Double(z.count).squareRoot()
        return z.map { Float($0 / norm * r) }   // numpy's order: (z / ||z||) * sqrt(L)
    }

    /// MSG-StyleGAN: the draw cast to float32 (the mapping network normalises it).
    public static func styleGAN(seed: UInt32, latentSize l: Int) -> [Float] {
        gaussian(seed: seed, count: l).map { Float($0) }
    }
}
