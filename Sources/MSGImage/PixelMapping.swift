/// Raw generator output to 8 bits, exactly as upstream (SEMANTICS.md, "Output
/// pixels"): `u8 = floor(clamp((x + 1) * 127.5 + 0.5, 0, 255))`, computed in
/// Float as numpy / TF do on float32 arrays. NaN maps to 0.
public enum PixelMapping {
    @inlinable
    public static func toUInt8(_ x: Float) -> UInt8 {
        // Separate multiply and add (no FMA), matching numpy's float32 ufuncs.
        let scaled: Float = (x + 1) * 127.5
        let shifted: Float = scaled + 0.5
        guard !shifted.isNaN else { return 0 }
        let clamped = min(max(shifted, 0), 255)
        return UInt8(clamped.rounded(.down))
    }
}
