/// im2col for NHWC images, over a band of output rows.
public enum Im2col {
    /// For output pixels (y, x), y in `rows`, x in 0..<w, writes the row
    /// `col[(y - rows.lowerBound) * w + x]` = the `kh * kw` input pixels
    /// `(y + oy + ty, x + ox + tx)` (zero outside the image), `cin` channels each.
    ///
    /// x: one image `[h, w, cin]`; col: `[rows.count * w, kh * kw * cin]`.
    @inline(__always)
    public static func fill(x: UnsafePointer<Float>, h: Int, w: Int, cin: Int,
                            kh: Int, kw: Int, oy: Int, ox: Int,
                            rows: Range<Int>, col: UnsafeMutablePointer<Float>) {
        let k = kh * kw * cin
        var dst = col
        for y in rows {
            for xo in 0..<w {
                var tap = dst
                for ty in 0..<kh {
                    let iy = y + oy + ty
                    let rowValid = iy >= 0 && iy < h
                    for tx in 0..<kw {
                        let ix = xo + ox + tx
                        if rowValid && ix >= 0 && ix < w {
                            tap.update(from: x + (iy * w + ix) * cin, count: cin)
                        } else {
                            tap.update(repeating: 0, count: cin)
                        }
                        tap += cin
                    }
                }
                dst += k
            }
        }
    }
}
