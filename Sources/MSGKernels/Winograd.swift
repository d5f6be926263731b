import CMSGKernels

/// Winograd F(2x2, 3x3) for the plain 3x3 convs (stride 1, pad 1) with many
/// channels (Lavin & Gray): each 2x2 block of outputs comes from a 4x4 input
/// patch with 16 multiplies per (ci, co) instead of 36, i.e. 2.25x fewer. As
/// GEMMs: the 16 transformed patch positions xi give 16 products
/// `V_xi [tiles, cin] x U_xi [cin, cout]`; each tile's 4x4 results then fold
/// back to its 2x2 outputs (transforms in CMSGKernels).
///
///   U = G g G^T (at load)     G   = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
///   V = B^T d B                B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
///   Y = A^T M A                A^T = [1 1 1 0; 0 1 -1 -1]
public struct Winograd: Sendable {
    public let cin: Int
    public let cout: Int
    /// 16 matrices [cin, cout], position xi = 4 * row + col of the 4x4 transform.
    public let u: [Float]

    /// From a packed 3x3 kernel ([9 * cin, cout], row (ty * 3 + tx) * cin + ci).
    public init(_ pc: PackedConv) {
        precondition(pc.kh == 3 && pc.kw == 3)
        cin = pc.cin; cout = pc.cout
        let g: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        let n = cin * cout
        var u = [Float](repeating: 0, count: 16 * n)
        for i in 0..<4 { for j in 0..<4 {
            let dst = (i * 4 + j) * n
            for ty in 0..<3 { for tx in 0..<3 {
                let c = g[i][ty] * g[j][tx]
                if c == 0 { continue }
                let src = (ty * 3 + tx) * n
                for k in 0..<n { u[dst + k] += c * pc.weights[src + k] }
            } }
        } }
        self.u = u
    }

    /// Tile rows per band for width w: enough tiles per GEMM to amortise packing
    /// the 16 weight matrices, a bounded transform buffer. Independent of the batch.
    public func bandTileRows(width w: Int) -> Int {
        let tilesX = (w + 1) / 2
        let target = max(256, 131_072 / max(cin, 1))
        return max(1, target / tilesX)
    }

    /// Scratch floats per worker: V [16, tiles, cin] and M [16, tiles, cout].
    public func scratchNeeds(h: Int, w: Int) -> (v: Int, m: Int) {
        let tiles = min(bandTileRows(width: w), (h + 1) / 2) * ((w + 1) / 2)
        return (16 * tiles * cin, 16 * tiles * cout)
    }

    /// Output rows [2 tr0, min(2 tr1, h)) of y [h, w, cout] from x [h, w, cin]
    /// (no bias: the layer's epilogue follows).
    public func run(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, h: Int, w: Int, tileRows: Range<Int>,
                    v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
        let tiles = tileRows.count * ((w + 1) / 2)
        msg_wino_input(x, Int32(h), Int32(w), Int32(cin), Int32(tileRows.lowerBound), Int32(tileRows.upperBound), v)
        u.withUnsafeBufferPointer { up in
            for xi in 0..<16 {
                BLAS.sgemm(m: tiles, n: cout, k: cin, a: v + xi * tiles * cin, lda: cin,
                           b: up.baseAddress! + xi * cin * cout, ldb: cout, c: m + xi * tiles * cout, ldc: cout)
            }
        }
        msg_wino_output(m, Int32(h), Int32(w), Int32(cout), Int32(tileRows.lowerBound), Int32(tileRows.upperBound), y)
    }
}

/// Winograd F(2x2, 2x2) for the four phase kernels of a nearest-x2 up-conv
/// (PackedConv.upsamplePhases): per phase, each 2x2 block of its low-resolution
/// outputs takes 9 multiplies per (ci, co) instead of 16; the transforms are
/// additions only (points 0, 1, inf). Output goes straight to the phase's
/// pixels of the up-sampled image.
///
///   U = G g G^T    G   = [1 0; 1 1; 0 1]
///   V = B^T d B    B^T = [1 -1 0; 0 1 0; 0 -1 1]
///   Y = A^T M A    A^T = [1 1 0; 0 1 1]
public struct WinogradUp: Sendable {
    public let cin: Int
    public let cout: Int
    /// Per phase a * 2 + b: 9 matrices [cin, cout].
    public let u: [[Float]]

    public init(phases: [PackedConv]) {
        precondition(phases.count == 4 && phases.allSatisfy { $0.kh == 2 && $0.kw == 2 })
        cin = phases[0].cin; cout = phases[0].cout
        let g: [[Float]] = [[1, 0], [1, 1], [0, 1]]
        let n = cin * cout
        u = phases.map { pc in
            var u = [Float](repeating: 0, count: 9 * n)
            for i in 0..<3 { for j in 0..<3 {
                let dst = (i * 3 + j) * n
                for ty in 0..<2 { for tx in 0..<2 {
                    let c = g[i][ty] * g[j][tx]
                    if c == 0 { continue }
                    let src = (ty * 2 + tx) * n
                    for k in 0..<n { u[dst + k] += c * pc.weights[src + k] }
                } }
            } }
            return u
        }
    }

    public func bandTileRows(width w: Int) -> Int {
        let tilesX = (w + 1) / 2
        return max(1, max(256, 131_072 / max(cin, 1)) / tilesX)
    }

    public func scratchNeeds(h: Int, w: Int) -> (v: Int, m: Int) {
        let tiles = min(bandTileRows(width: w), (h + 1) / 2) * ((w + 1) / 2)
        return (9 * tiles * cin, 9 * tiles * cout)
    }

    /// All four phases of tile rows [tr0, tr1) (low-resolution rows [2 tr0, 2 tr1)):
    /// x [h, w, cin] -> rows [4 tr0, min(4 tr1, 2h)) of y [2h, 2w, cout], no bias.
    public func run(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, h: Int, w: Int, tileRows: Range<Int>,
                    v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>) {
        let tiles = tileRows.count * ((w + 1) / 2)
        let (t0, t1) = (Int32(tileRows.lowerBound), Int32(tileRows.upperBound))
        for phase in 0..<4 {
            let a = Int32(phase >> 1), b = Int32(phase & 1)
            msg_wino22_input(x, Int32(h), Int32(w), Int32(cin), t0, t1, a, b, v)
            u[phase].withUnsafeBufferPointer { up in
                for xi in 0..<9 {
                    BLAS.sgemm(m: tiles, n: cout, k: cin, a: v + xi * tiles * cin, lda: cin,
                               b: up.baseAddress! + xi * cin * cout, ldb: cout, c: m + xi * tiles * cout, ldc: cout)
                }
            }
            msg_wino22_output(m, Int32(h), Int32(w), Int32(cout), t0, t1, a, b, y)
        }
    }
}
