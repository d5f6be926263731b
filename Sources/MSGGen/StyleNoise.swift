/// msg-gen's rule for `--noise random` (documented in README): for an image of
/// latent seed s and noise seed t, ONE `numpy.random.RandomState([t, s])`
/// (init_by_array) draws, for layers l = 0, 1, ... in order, `randn(r_l * r_l)`
/// as that layer's [1, 1, r_l, r_l] noise, cast to float32. An image's noise
/// depends on (t, s) alone, so grid cells re-render alone bit for bit.
public enum StyleNoise {
    public static func draw(noiseSeed t: UInt32, seed s: UInt32, resolutions: [Int]) -> [[Float]] {
        var rs = RandomState(key: [t, s])
        return resolutions.map { r in rs.randn(r * r).map { Float($0) } }
    }
}
