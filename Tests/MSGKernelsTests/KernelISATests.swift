import Foundation
import Testing
import CMSGKernels
@testable import MSGKernels

/// Every kernel path this machine runs (portable C, AVX2+FMA, AVX-512; NEON on
/// arm64), passed to the C kernels explicitly: no global state, so these run
/// in parallel with the rest. (tools/neon/check.sh runs the same comparison
/// for NEON under qemu, and for every ISA natively.)
let runnableISAs = KernelISA.supported
let vectorISAs = KernelISA.supported.filter { $0 != .portable }

// MARK: - Against the slow twins (Reference.swift)

struct DirectCase: CustomTestStringConvertible, Sendable {
    var cin: Int, cout: Int, h: Int, w: Int
    var testDescription: String { "cin \(cin) cout \(cout) \(h)x\(w)" }
}

// 16/32/48/64 outputs (every vector count of each ISA), widths that cut pixel
// blocks, the stationary AVX-512 shapes (cin 16/32/64 -> 16/32) and others.
let directCases: [DirectCase] = [
    .init(cin: 1, cout: 16, h: 5, w: 9), .init(cin: 3, cout: 32, h: 4, w: 13), .init(cin: 16, cout: 16, h: 11, w: 19),
    .init(cin: 32, cout: 32, h: 7, w: 23), .init(cin: 64, cout: 32, h: 6, w: 6), .init(cin: 16, cout: 48, h: 3, w: 17),
    .init(cin: 64, cout: 64, h: 5, w: 8), .init(cin: 5, cout: 8, h: 4, w: 4),
]

/// msg_conv_direct (3x3, pad 1) on each path = PyTorch's Conv2d in float64.
/// Tolerance 1e-4 * (1 + |y|): float32 sums of at most 576 products of
/// values in [-1, 1].
@Test(arguments: runnableISAs, directCases)
func directConvMatchesReferenceOnEveryPath(_ isa: KernelISA, _ c: DirectCase) {
    let x = noise(c.cin * c.h * c.w, seed: 11), weight = noise(c.cout * c.cin * 9, seed: 12)
    let want = Reference.toNHWC(Reference.conv2d(x, cin: c.cin, h: c.h, w: c.w, weight: weight, cout: c.cout,
                                                 kh: 3, kw: 3, bias: nil, pad: 1), c: c.cout, h: c.h, w: c.w)
    // wt [(ty * 3 + tx) * cin + ci, cout]
    var wt = [Float](repeating: 0, count: 9 * c.cin * c.cout)
    for co in 0..<c.cout { for ci in 0..<c.cin { for t in 0..<9 {
        wt[(t * c.cin + ci) * c.cout + co] = weight[(co * c.cin + ci) * 9 + t]
    } } }
    let xn = Reference.toNHWC(x, c: c.cin, h: c.h, w: c.w)
    var got = [Float](repeating: .nan, count: c.h * c.w * c.cout)
    // Two calls (rows [0, 1) and [1, h)), as bands split an image.
    let split = min(1, c.h)
    got.withUnsafeMutableBufferPointer { out in
        msg_conv_direct(isa.rawValue, xn, Int32(c.h), Int32(c.w), Int32(c.cin), wt, 3, 3, -1, -1, Int32(c.cout), 0, Int32(split), out.baseAddress!)
        msg_conv_direct(isa.rawValue, xn, Int32(c.h), Int32(c.w), Int32(c.cin), wt, 3, 3, -1, -1, Int32(c.cout), Int32(split), Int32(c.h),
                        out.baseAddress! + split * c.w * c.cout)
    }
    let worst = zip(want, got).map { abs($0 - $1) / (1 + abs($0)) }.max() ?? .nan
    #expect(worst < 1e-4, "\(isa) worst relative error \(worst)")
}

/// msg_blur3 on each path = Reference.blur ([1, 2, 1] normalised); 1e-6.
@Test(arguments: runnableISAs, [(3, 5, 7), (16, 8, 3), (48, 1, 9), (8, 6, 6)])
func blurMatchesReferenceOnEveryPath(_ isa: KernelISA, _ s: (c: Int, h: Int, w: Int)) {
    let x = noise(s.c * s.h * s.w, seed: 13)
    let want = Reference.toNHWC(Reference.blur(x, c: s.c, h: s.h, w: s.w, filter: [1, 2, 1]), c: s.c, h: s.h, w: s.w)
    let xn = Reference.toNHWC(x, c: s.c, h: s.h, w: s.w)
    var got = [Float](repeating: .nan, count: x.count)
    got.withUnsafeMutableBufferPointer {
        msg_blur3(isa.rawValue, xn, $0.baseAddress!, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(s.h), 0.25, 0.5, 0.25)
    }
    #expect(maxAbsDiff(want, got) < 1e-6)
}

// MARK: - Against the portable body (itself twinned by the layer tests)

/// Each Winograd transform, on each vector path, equals the portable body up
/// to fused multiply-add rounding: 1e-6 relative to the largest value (the
/// F(4x4, .) coefficients reach 8).
@Test(arguments: vectorISAs, [(16, 9, 13), (32, 4, 4), (8, 17, 6), (3, 5, 5)])
func winogradTransformsMatchPortable(_ isa: KernelISA, _ s: (c: Int, h: Int, w: Int)) {
    let x = noise(s.c * s.h * s.w, seed: 14)
    for variant in 0..<4 {
        let m = variant >= 2 ? 4 : 2, positions = [16, 9, 25, 36][variant]
        let tilesX = (s.w + m - 1) / m, tilesY = (s.h + m - 1) / m
        let stride = tilesY * tilesX * s.c
        func input(_ k: KernelISA, phase: (Int32, Int32)) -> [Float] {
            var v = [Float](repeating: .nan, count: stride * positions)
            v.withUnsafeMutableBufferPointer { p in
                let o = p.baseAddress!
                switch variant {
                case 0: msg_wino_input(k.rawValue, x, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), o, stride)
                case 1: msg_wino22_input(k.rawValue, x, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), phase.0, phase.1, o, stride)
                case 2: msg_wino42_input(k.rawValue, x, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), phase.0, phase.1, o, stride)
                default: msg_wino43_input(k.rawValue, x, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), o, stride)
                }
            }
            return v
        }
        func output(_ k: KernelISA, _ v: [Float], phase: (Int32, Int32)) -> [Float] {
            let up = variant == 1 || variant == 2
            var y = [Float](repeating: 0, count: (up ? 4 : 1) * s.h * s.w * s.c)
            y.withUnsafeMutableBufferPointer { p in
                let o = p.baseAddress!
                switch variant {
                case 0: msg_wino_output(k.rawValue, v, stride, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), o)
                case 1: msg_wino22_output(k.rawValue, v, stride, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), phase.0, phase.1, o)
                case 2: msg_wino42_output(k.rawValue, v, stride, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), phase.0, phase.1, o)
                default: msg_wino43_output(k.rawValue, v, stride, Int32(s.h), Int32(s.w), Int32(s.c), 0, Int32(tilesY), o)
                }
            }
            return y
        }
        for phase in [(Int32(0), Int32(0)), (1, 0), (0, 1), (1, 1)] where phase == (0, 0) || variant == 1 || variant == 2 {
            let vWant = input(.portable, phase: phase), vGot = input(isa, phase: phase)
            let vScale = max(1, vWant.map(abs).max() ?? 1)
            #expect(maxAbsDiff(vWant, vGot) <= 1e-6 * vScale, "variant \(variant) phase \(phase) input")
            let yWant = output(.portable, vWant, phase: phase), yGot = output(isa, vWant, phase: phase)
            let yScale = max(1, yWant.map(abs).max() ?? 1)
            #expect(maxAbsDiff(yWant, yGot) <= 1e-6 * yScale, "variant \(variant) phase \(phase) output")
        }
    }
}

/// The packed Winograd GEMM: every vector path sums each output over ci in
/// the portable order with one FMA per term, so they agree to FMA rounding
/// (1e-5 relative; sums of up to 64 products).
@Test(arguments: vectorISAs, [(1, 16, 16), (13, 64, 32), (29, 16, 48), (15, 1, 96), (40, 64, 8)])
func packedWinogradGEMMMatchesPortable(_ isa: KernelISA, _ s: (tiles: Int, cin: Int, cout: Int)) {
    let v = noise(s.tiles * s.cin, seed: 15), u = noise(s.cin * s.cout, seed: 16)
    let blocks = (s.cout + 31) / 32
    var packed = [Float](repeating: 0, count: s.cin * blocks * 32)
    packed.withUnsafeMutableBufferPointer { msg_wgemm_pack(u, Int32(s.cin), Int32(s.cout), $0.baseAddress!) }
    func run(_ k: KernelISA) -> [Float] {
        var m = [Float](repeating: .nan, count: s.tiles * s.cout)
        m.withUnsafeMutableBufferPointer {
            msg_wgemm(k.rawValue, v, Int32(s.tiles), Int32(s.cin), packed, Int32(s.cout), 0, Int32(blocks), $0.baseAddress!)
        }
        return m
    }
    let want = run(.portable), got = run(isa)
    #expect(maxAbsDiff(want, got) <= 1e-5 * max(1, want.map(abs).max() ?? 1))
}

/// The conv epilogue (bias, LReLU, PixelNorm, to-RGB) on each vector path:
/// groups of one vector width of pixels and a remainder; 1e-5.
@Test(arguments: vectorISAs, [(16, 17), (32, 40), (512, 3), (8, 9)])
func epilogueMatchesPortable(_ isa: KernelISA, _ s: (c: Int, pixels: Int)) {
    let rows = noise(s.c * s.pixels, seed: 17), bias = noise(s.c, seed: 18)
    let wr = noise(s.c, seed: 19), wg = noise(s.c, seed: 20), wb = noise(s.c, seed: 21)
    func run(_ k: KernelISA) -> ([Float], [Float]) {
        var y = rows, rgb = [Float](repeating: .nan, count: 3 * s.pixels)
        y.withUnsafeMutableBufferPointer { yp in rgb.withUnsafeMutableBufferPointer { o in
            let r = o.baseAddress!
            msg_epilogue(k.rawValue, yp.baseAddress!, Int32(s.pixels), Int32(s.c), bias, 0.2, 1e-8, wr, wg, wb, 0.1, 0.2, 0.3,
                         r, r + s.pixels, r + 2 * s.pixels)
        } }
        return (y, rgb)
    }
    let want = run(.portable), got = run(isa)
    #expect(maxAbsDiff(want.0, got.0) < 1e-5)
    #expect(maxAbsDiff(want.1, got.1) < 1e-5 * max(1, want.1.map(abs).max() ?? 1))
}

/// StyleGAN's pass 1 (noise, bias, LReLU, per-channel sums in double) and
/// affine on each vector path; 1e-6 (the affine's FMA).
@Test(arguments: vectorISAs)
func stylePassesMatchPortable(_ isa: KernelISA) {
    let (c, pixels) = (40, 33)
    let rows = noise(c * pixels, seed: 22), nz = noise(pixels, seed: 23), nw = noise(c, seed: 24), bias = noise(c, seed: 25)
    let scale = noise(c, seed: 26), shift = noise(c, seed: 27)
    func run(_ k: KernelISA) -> ([Float], [Double]) {
        var y = rows, stats = [Double](repeating: 0, count: 2 * c)
        y.withUnsafeMutableBufferPointer { yp in stats.withUnsafeMutableBufferPointer { sp in
            msg_style_pass1(k.rawValue, yp.baseAddress!, Int32(pixels), Int32(c), nz, nw, bias, 0.2, sp.baseAddress!)
            msg_style_affine(k.rawValue, yp.baseAddress!, Int32(pixels), Int32(c), scale, shift)
        } }
        return (y, stats)
    }
    let want = run(.portable), got = run(isa)
    #expect(maxAbsDiff(want.0, got.0) < 1e-6)
    #expect(zip(want.1, got.1).allSatisfy { abs($0 - $1) < 1e-5 })
}

// MARK: - Selection

@Test func isaNamesParseAndUnsupportedPathsAreErrors() throws {
    #expect(try KernelISA.requested(environment: nil) == nil)
    #expect(try KernelISA.requested(environment: "") == nil)
    #expect(try KernelISA.requested(environment: "portable") == .portable)
    #expect(try KernelISA.requested(environment: "PORTABLE") == .portable)
    #expect(throws: KernelISAError.unknownName("sse4")) { try KernelISA.requested(environment: "sse4") }
    for isa in KernelISA.allCases {
        #expect(KernelISA(rawValue: msg_kernels_isa_parse(isa.name)) == isa)
        if isa.isSupported {
            #expect(try KernelISA.requested(environment: isa.name) == isa)
        } else {
            #expect(throws: KernelISAError.unsupported(isa, available: KernelISA.supported)) {
                try KernelISA.requested(environment: isa.name)
            }
        }
    }
    #expect(KernelISA.supported.contains(.portable) && KernelISA.supported.contains(KernelISA.best))
    #expect(KernelISA.best.isSupported && KernelISA.active.isSupported)
    #if arch(x86_64)
    #expect(!KernelISA.neon.isSupported)
    #elseif arch(arm64)
    #expect(KernelISA.neon.isSupported && !KernelISA.avx2.isSupported)
    #endif
}

/// A path this CPU cannot run, passed to a kernel, runs the portable body
/// (never an illegal instruction).
@Test func unsupportedPathFallsBackToPortable() {
    let missing = KernelISA.allCases.filter { !$0.isSupported }
    let x = noise(16 * 4 * 4, seed: 28)
    var want = [Float](repeating: 0, count: x.count), got = want
    want.withUnsafeMutableBufferPointer { msg_blur3(KernelISA.portable.rawValue, x, $0.baseAddress!, 4, 4, 16, 0, 4, 0.25, 0.5, 0.25) }
    for isa in missing {
        got.withUnsafeMutableBufferPointer { msg_blur3(isa.rawValue, x, $0.baseAddress!, 4, 4, 16, 0, 4, 0.25, 0.5, 0.25) }
        #expect(got == want)
    }
    got.withUnsafeMutableBufferPointer { msg_blur3(99, x, $0.baseAddress!, 4, 4, 16, 0, 4, 0.25, 0.5, 0.25) }
    #expect(got == want)
}
