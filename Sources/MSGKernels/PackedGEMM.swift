import CMSGKernels

/// A weight matrix W [k, n] packed once, at load, for CMSGKernels' register-
/// blocked GEMM `c [m, n] = a [m, k] x W`: the kernel of every conv path that
/// is a matrix product (im2col convs, Winograd's per-position products, the
/// ProGAN 4x4 deconv). Unlike sgemm it never repacks the weights per call,
/// which is what dominates the small-m products of low-resolution layers at
/// batch 1 (they are bound by reading their weights once).
///
/// Each output row is computed by the same instruction sequence whatever m,
/// the row block it falls in and the thread that runs it, so an image's bits
/// do not depend on what it is batched with.
public struct PackedGEMM: Sendable {
    public let k: Int
    public let n: Int
    let packed: [Float]

    /// weights: row-major [k, n].
    public init(weights: [Float], k: Int, n: Int) {
        precondition(weights.count == k * n && k > 0 && n > 0)
        self.k = k; self.n = n
        var p = [Float](repeating: 0, count: k * n)
        p.withUnsafeMutableBufferPointer { msg_wgemm_pack(weights, Int32(k), Int32(n), $0.baseAddress!) }
        packed = p
    }

    /// Rows per work item: enough that each 32-column weight panel is reused
    /// over many rows while it is in L2.
    static let rowsPerItem = 224

    /// c [m, n] (row stride n) = a [m, k] (row stride k) x W, on up to `threads`
    /// threads (items: 32-column blocks x groups of rows).
    public func run(a: UnsafePointer<Float>, m: Int, c: UnsafeMutablePointer<Float>, threads: Int) {
        let blocks = (n + 31) / 32
        let groups = (m + Self.rowsPerItem - 1) / Self.rowsPerItem
        packed.withUnsafeBufferPointer { wp in
            let w = wp.baseAddress!
            Workers.run(items: blocks * groups, workers: threads) { item, _ in
                let cb = item / groups, g = item % groups
                let r0 = g * Self.rowsPerItem, rows = min(m - r0, Self.rowsPerItem)
                msg_wgemm(KernelISA.active.rawValue, a + r0 * k, Int32(rows), Int32(k), w, Int32(n), Int32(cb), Int32(cb + 1), c + r0 * n)
            }
        }
    }
}
