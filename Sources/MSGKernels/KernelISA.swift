import CMSGKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Instruction set of msg-gen's own kernels (CMSGKernels): each kernel has a
/// portable C body and vector bodies written once for AVX-512, AVX2+FMA
/// (x86-64-v3) and NEON (arm64). The engine runs `active`; tests pass other
/// paths to the C kernels explicitly.
public enum KernelISA: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case portable = 0   // MSG_ISA_PORTABLE
    case avx2 = 1       // MSG_ISA_AVX2
    case avx512 = 2     // MSG_ISA_AVX512
    case neon = 3       // MSG_ISA_NEON

    /// The path the engine runs: `MSG_GEN_ISA` (avx512 | avx2 | neon | portable)
    /// when it names one this CPU runs, else `best`. Read once per process;
    /// `checkEnvironment()` turns a bad `MSG_GEN_ISA` into an error.
    public static let active = KernelISA(rawValue: msg_kernels_isa()) ?? .portable

    /// The fastest path this CPU runs.
    public static var best: KernelISA { KernelISA(rawValue: msg_kernels_isa_best()) ?? .portable }

    /// Every path this CPU (and this build) runs, portable first.
    public static var supported: [KernelISA] { allCases.filter(\.isSupported) }

    public var isSupported: Bool { msg_kernels_isa_supported(rawValue) == 1 }

    /// The name `MSG_GEN_ISA` takes ("avx512", "avx2", "neon", "portable").
    public var name: String { String(cString: msg_kernels_isa_name(rawValue)) }

    /// For machine lines: "AVX2+FMA", "AVX-512", "NEON", "portable C".
    public var description: String {
        switch self {
        case .portable: "portable C"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        case .neon: "NEON"
        }
    }

    /// The path `MSG_GEN_ISA` asks for: nil when unset or empty.
    /// - Throws: `KernelISAError.unknownName` for any other name,
    ///   `.unsupported` for a path this CPU cannot run.
    public static func requested(environment value: String?) throws -> KernelISA? {
        guard let value, !value.isEmpty else { return nil }
        let code = value.withCString { msg_kernels_isa_parse($0) }
        guard code >= 0, let isa = KernelISA(rawValue: code) else { throw KernelISAError.unknownName(value) }
        guard isa.isSupported else { throw KernelISAError.unsupported(isa, available: supported) }
        return isa
    }

    /// Checks this process's `MSG_GEN_ISA` (front-ends call it before any work,
    /// so a typo or a path the CPU lacks is an error, not a silent fallback).
    public static func checkEnvironment() throws {
        _ = try requested(environment: getenv("MSG_GEN_ISA").map { String(cString: $0) })
    }
}

/// A bad `MSG_GEN_ISA`.
public enum KernelISAError: Error, CustomStringConvertible, Equatable {
    case unknownName(String)
    case unsupported(KernelISA, available: [KernelISA])

    public var description: String {
        switch self {
        case .unknownName(let s):
            "MSG_GEN_ISA=\(s) is not a kernel path; use one of avx512, avx2, neon, portable"
        case .unsupported(let isa, let available):
            "MSG_GEN_ISA=\(isa.name): this CPU cannot run the \(isa) kernels; it runs \(available.map(\.name).joined(separator: ", "))"
        }
    }
}
