/// An animation file built one frame at a time: frames are compressed as they
/// arrive, so memory holds the encoded file and one frame, whatever the count.
public protocol AnimationEncoder: AnyObject {
    /// Appends a frame; every frame must have the first frame's size.
    func add(_ frame: RGBImage) throws(ImageError)
    /// Ends the animation and returns the file's bytes (at least one frame added).
    func finish() throws(ImageError) -> [UInt8]
}

/// When frame i starts, for `fps` frames per second: round(i * 1000 / fps) ms
/// (integer arithmetic, halves up), so delays never drift from the nominal rate.
public enum FrameTiming {
    public static func milliseconds(frame i: Int, fps: Int) -> Int { (2 * i * 1000 + fps) / (2 * fps) }
    /// GIF delays are in centiseconds: frame i lasts round((i+1) * 100 / fps) - round(i * 100 / fps).
    public static func centiseconds(frame i: Int, fps: Int) -> Int {
        func at(_ k: Int) -> Int { (2 * k * 100 + fps) / (2 * fps) }
        return at(i + 1) - at(i)
    }
}

/// A decoded animation (what tests and checks compare against): every frame as
/// the full canvas, and its display time in milliseconds.
public struct DecodedAnimation: Sendable {
    public var frames: [RGBImage]
    public var durationsMs: [Int]
    /// 0 = loop forever.
    public var loopCount: Int
}
