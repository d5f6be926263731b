import CBLAS
import CMSGKernels
#if canImport(Glibc)
import Glibc
#endif

/// The one place msg-gen calls OpenBLAS.
///
/// Debian's OpenBLAS 0.3.21 does not recognise AVX-512 CPUs of this generation
/// and silently picks its SSE3 "Prescott" kernels (about 5x slower sgemm).
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, in its library constructor, before
/// `main` runs, so the only fix from inside the program is to set the variable
/// and re-execute (`ensureFastCore`).
public enum BLAS {
    // MARK: - Core selection

    /// The kernel family OpenBLAS chose when it loaded ("Prescott", "SkylakeX", ...).
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// OpenBLAS build description (version, threading model).
    public static var configuration: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }

    /// The best OpenBLAS core name for a CPU with these /proc/cpuinfo flags,
    /// or nil when the CPU has neither AVX-512 nor AVX2+FMA.
    public static func preferredCore(cpuFlags: Set<Substring>) -> String? {
        let avx512: Set<Substring> = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]
        if avx512.isSubset(of: cpuFlags) { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The flags line of /proc/cpuinfo as a set (empty when unreadable).
    public static func cpuFlags(cpuinfo: String) -> Set<Substring> {
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " "))
        }
        return []
    }

    /// Why `ensureFastCore` did what it did; shown by `bench` and `inspect`.
    public nonisolated(unsafe) static var coreNote = "core chosen by OpenBLAS"

    /// Re-executes this process with `OPENBLAS_CORETYPE` set when OpenBLAS fell
    /// back to a slower core than the CPU supports. Call first thing in `main`.
    /// Leaves a user's own `OPENBLAS_CORETYPE` alone; never loops.
    public static func ensureFastCore() {
        if let user = getenv("OPENBLAS_CORETYPE") {
            coreNote = getenv(reexecMarker) != nil
                ? "OPENBLAS_CORETYPE=\(String(cString: user)) set by msg-gen"
                : "OPENBLAS_CORETYPE=\(String(cString: user)) from the environment"
            return
        }
        // MSG_GEN_BLAS_CORE names a core explicitly (e.g. to compare kernels).
        let requested = getenv("MSG_GEN_BLAS_CORE").map { String(cString: $0) }.flatMap { knownCores.contains($0) ? $0 : nil }
        // MSG_GEN_ISA=avx2 runs the whole engine as on a CPU without AVX-512:
        // OpenBLAS's AVX2 core too.
        let isaCap: String? = KernelISA.active == .avx2 && KernelISA.best == .avx512 ? "Haswell" : nil
        guard let want = requested ?? isaCap ?? (try? readCPUInfo()).flatMap({ preferredCore(cpuFlags: cpuFlags(cpuinfo: $0)) }) else { return }
        if coreName.lowercased() == want.lowercased() { return }
        setenv("OPENBLAS_CORETYPE", want, 1)
        setenv(reexecMarker, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: run on, slowly, and say so.
        coreNote = "could not re-execute with OPENBLAS_CORETYPE=\(want) (errno \(errno)); running on \(coreName)"
    }

    private static let reexecMarker = "MSG_GEN_BLAS_REEXEC"

    /// OpenBLAS x86-64 core names msg-gen will request (others print "Core not found").
    public static let knownCores: Set<String> = ["Prescott", "Core2", "Nehalem", "Sandybridge", "Haswell", "Zen", "SkylakeX", "Cooperlake"]

    private static func readCPUInfo() throws -> String {
        guard let f = fopen("/proc/cpuinfo", "r") else { throw CPUInfoUnreadable() }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 1 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
    private struct CPUInfoUnreadable: Error {}

    /// Instruction set of msg-gen's own kernels, for machine lines: "AVX2+FMA",
    /// or "portable C (MSG_GEN_ISA=portable)" when the environment forced it.
    public static var kernelISA: String {
        let forced = getenv("MSG_GEN_ISA").map { String(cString: $0) }.flatMap { try? KernelISA.requested(environment: $0) }
        return forced == nil ? KernelISA.active.description : "\(KernelISA.active) (MSG_GEN_ISA=\(KernelISA.active.name))"
    }

    // MARK: - Threads

    /// Threads OpenBLAS may use inside one call. The engine keeps 1 (Renderer):
    /// its calls are small (to-RGB projections inside its own workers, the
    /// mapping network), and after a threaded call OpenBLAS's idle threads spin
    /// in sched_yield for a while, which took 13% of the samples of a StyleGAN
    /// 256 pass on 2 cores (perf) while the engine's workers needed them.
    /// `bench` raises it only to measure the SGEMM peak.
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    // MARK: - GEMM

    /// C[m, n] = alpha * A[m, k] * B[k, n] + beta * C, row-major.
    @inline(__always)
    public static func sgemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int,
                             alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
