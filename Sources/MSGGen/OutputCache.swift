import MSGTensor

/// The per-scale output tensors of a workspace's last pass, handed out again
/// to the next pass of the same size. A pass fills every pixel of every scale,
/// so nothing needs zeroing; when the caller still holds the last pass's
/// tensors, writing copies them first (copy-on-write) and the caller's stay
/// intact. Saves allocating and page-faulting ~17 MB per image at 1024 px on
/// every pass (134 MB per batch of 8, beyond malloc's reuse threshold).
final class OutputCache: @unchecked Sendable {
    private var kept: [Tensor] = []

    /// `[count, 3, R, R]` per resolution: last pass's tensors when they match, else zeros.
    func take(resolutions: [Int], count: Int) -> [Tensor] {
        let want = resolutions.map { [count, 3, $0, $0] }
        var out: [Tensor] = []
        swap(&out, &kept)   // the cache lets go, so the caller's copy can be unique
        if out.map(\.shape) == want { return out }
        return want.map { Tensor(zeros: $0) }
    }

    /// Keeps this pass's tensors for the next one (the returned copies share them).
    func keep(_ outputs: [Tensor]) { kept = outputs }
}
