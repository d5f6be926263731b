import CMSGKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Arithmetic of the engine's convolutions.
///
/// - `fp32`: float32 throughout (the default; golden-tested at ~1e-5).
/// - `bf16`: the convolutions' dot products take bfloat16 inputs and weights
///   and sum in float32 with AVX512-BF16's `VDPBF16PS` (two products per
///   float32 lane per instruction: twice the multiply rate of float32 FMA on
///   CPUs that have it). Weights are rounded to bf16 once, at load; a layer's
///   input (or Winograd-transformed input) is rounded as the layer reads it;
///   products, sums, epilogues, normalisations and pictures stay float32.
///   Which layers take it is `ConvLayer.bf16Eligible`.
///   Needs AVX512-BF16 (detected at run time): elsewhere `require()` throws,
///   never a silent float32 or emulated path.
public enum Precision: String, CaseIterable, Sendable, CustomStringConvertible {
    case fp32
    case bf16

    public var description: String { rawValue }

    /// Whether this CPU runs `VDPBF16PS` (AVX512-BF16).
    public static var bf16Supported: Bool { msg_kernels_bf16_supported() == 1 }

    /// `MSG_GEN_BF16_TWIN=1` in the environment: for checking accuracy only,
    /// `.bf16` is accepted on any CPU and runs on the bf16 kernels' portable
    /// twins (the same products and float32 sums as VDPBF16PS, in scalar C: a
    /// few times slower than float32, never a serving path). Where the CPU has
    /// AVX512-BF16 it changes nothing. Used by `tools/bench/bf16_accuracy.py
    /// --twin` and the CLI tests, so the accuracy of the shipped models in bf16
    /// is checked on every CPU, not only where VDPBF16PS exists.
    public static var portableTwinsRequested: Bool { getenv("MSG_GEN_BF16_TWIN").map { String(cString: $0) == "1" } ?? false }

    /// - Throws: `PrecisionError.bf16Unsupported` for `.bf16` on a CPU without
    ///   AVX512-BF16, or when the kernels run with `MSG_GEN_ISA` other than avx512
    ///   (unless `portableTwinsRequested`).
    public func require() throws {
        guard self == .bf16, !Self.portableTwinsRequested else { return }
        guard Self.bf16Supported else { throw PrecisionError.bf16Unsupported(reason: "this CPU has no AVX512-BF16 (VDPBF16PS)") }
        guard KernelISA.active == .avx512 else {
            throw PrecisionError.bf16Unsupported(reason: "the kernels run \(KernelISA.active.name) (MSG_GEN_ISA); bf16 runs on avx512 only")
        }
    }
}

/// A precision this machine cannot run.
public enum PrecisionError: Error, CustomStringConvertible, Equatable {
    case bf16Unsupported(reason: String)

    public var description: String {
        switch self {
        case .bf16Unsupported(let reason): "--precision bf16: \(reason); use --precision fp32"
        }
    }
}
