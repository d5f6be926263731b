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
    /// msg_wgemm_pack's layout; empty for a bf16 matrix.
    let packed: [Float]
    /// bf16 matrices: msg_wgemm_pack_bf16's layout (rounded once, here); else empty.
    let packedBF16: [UInt16]
    public var bf16: Bool { !packedBF16.isEmpty }

    /// weights: row-major [k, n]. `bf16`: keep W as bf16 for `run(aBF16:...)`
    /// (k even), and no float32 copy.
    public init(weights: [Float], k: Int, n: Int, bf16: Bool = false) {
        precondition(weights.count == k * n && k > 0 && n > 0 && (!bf16 || k % 2 == 0))
        self.k = k; self.n = n
        if bf16 {
            var p = [UInt16](repeating: 0, count: k * n)
            p.withUnsafeMutableBufferPointer { msg_wgemm_pack_bf16(weights, Int32(k), Int32(n), $0.baseAddress!) }
            packed = []; packedBF16 = p
        } else {
            var p = [Float](repeating: 0, count: k * n)
            p.withUnsafeMutableBufferPointer { msg_wgemm_pack(weights, Int32(k), Int32(n), $0.baseAddress!) }
            packed = p; packedBF16 = []
        }
    }

    /// Rows per work item: enough that each 32-column weight panel is reused
    /// over many rows while it is in L2.
    static let rowsPerItem = 224

    /// c [m, n] (row stride n) = a [m, k] (row stride k) x W, on up to `threads`
    /// threads (items: 32-column blocks x groups of rows).
    public func run(a: UnsafePointer<Float>, m: Int, c: UnsafeMutablePointer<Float>, threads: Int) {
        precondition(!bf16, "a bf16 matrix takes bf16 rows: run(aBF16:...)")
        packed.withUnsafeBufferPointer { wp in
            forEachItem(m: m, threads: threads) { r0, rows, cb in
                msg_wgemm(KernelISA.active.rawValue, a + r0 * k, Int32(rows), Int32(k), wp.baseAddress!, Int32(n), Int32(cb), Int32(cb + 1), c + r0 * n)
            }
        }
    }

    /// The same product with bf16 rows a [m, k] (msg_wgemm_bf16: bf16 products
    /// summed in float32) on a bf16 matrix.
    public func run(aBF16 a: UnsafePointer<UInt16>, m: Int, c: UnsafeMutablePointer<Float>, threads: Int) {
        precondition(bf16, "a float32 matrix takes float32 rows")
        packedBF16.withUnsafeBufferPointer { wp in
            forEachItem(m: m, threads: threads) { r0, rows, cb in
                msg_wgemm_bf16(KernelISA.active.rawValue, a + r0 * k, Int32(rows), Int32(k), wp.baseAddress!, Int32(n), Int32(cb), Int32(cb + 1), c + r0 * n)
            }
        }
    }

    /// The work items of a product of m rows: (first row, rows, column block).
    @inline(__always)
    private func forEachItem(m: Int, threads: Int, _ body: (_ r0: Int, _ rows: Int, _ cb: Int) -> Void) {
        let blocks = (n + 31) / 32
        let groups = (m + Self.rowsPerItem - 1) / Self.rowsPerItem
        Workers.run(items: blocks * groups, workers: threads) { item, _ in
            let g = item % groups, r0 = g * Self.rowsPerItem
            body(r0, min(m - r0, Self.rowsPerItem), item / groups)
        }
    }
}
