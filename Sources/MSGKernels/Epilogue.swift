import CMSGKernels
import Foundation

/// What happens to each conv output pixel while its GEMM tile is hot.
/// Rows are pixels, `channels` contiguous floats each (NHWC).
public struct Epilogue: Sendable {
    /// LReLU negative slope (upstream: 0.2), or nil for a linear layer.
    public var leakySlope: Float?
    /// PixelNorm after the activation: x / sqrt(mean_c(x^2) + eps) (BMSG-GAN's PixelwiseNorm).
    public var pixelNormEpsilon: Float?

    public init(leakySlope: Float? = 0.2, pixelNormEpsilon: Float? = nil) {
        self.leakySlope = leakySlope
        self.pixelNormEpsilon = pixelNormEpsilon
    }

    public static let biasOnly = Epilogue(leakySlope: nil)

    /// Leave the GEMM output untouched (no bias): for layers whose epilogue
    /// runs later (StyleGAN's, which needs the whole layer's statistics).
    public static let raw: Epilogue = { var e = Epilogue(leakySlope: nil); e.skipsBias = true; return e }()

    /// True for `raw`.
    public var skipsBias = false

    /// rows: `[pixels, channels]`, in place: bias, activation, then normalisation;
    /// then, with `rgb`, each finished row's to-RGB value into the planes at
    /// `rgbOut` (`[3, planeStride]`, this tile's first pixel), all in one pass (C).
    @inline(__always)
    public func apply(rows: UnsafeMutablePointer<Float>, pixels: Int, channels: Int, bias: UnsafePointer<Float>,
                      rgb: ToRGB? = nil, rgbOut: UnsafeMutablePointer<Float>? = nil, planeStride: Int = 0) {
        if skipsBias { return }
        let slope = leakySlope ?? 1, eps = pixelNormEpsilon ?? -1
        if let rgb, let rgbOut {
            rgb.planes.withUnsafeBufferPointer { w in
                msg_epilogue(KernelISA.active.rawValue, rows, Int32(pixels), Int32(channels), bias, slope, eps,
                             w.baseAddress!, w.baseAddress! + channels, w.baseAddress! + 2 * channels,
                             rgb.bias[0], rgb.bias[1], rgb.bias[2], rgbOut, rgbOut + planeStride, rgbOut + 2 * planeStride)
            }
        } else {
            msg_epilogue(KernelISA.active.rawValue, rows, Int32(pixels), Int32(channels), bias, slope, eps, nil, nil, nil, 0, 0, 0, nil, nil, nil)
        }
    }

    /// The Swift body of the epilogue (no to-RGB), kept as a second implementation for tests.
    public func applySwift(rows: UnsafeMutablePointer<Float>, pixels: Int, channels: Int, bias: UnsafePointer<Float>) {
        if skipsBias { return }
        let slope = leakySlope ?? 1
        for p in 0..<pixels {
            let row = rows + p * channels
            var ss: Float = 0
            for c in 0..<channels {
                var v = row[c] + bias[c]
                v = v < 0 ? v * slope : v
                row[c] = v
                ss += v * v
            }
            if let eps = pixelNormEpsilon {
                // PyTorch: x / sqrt(x.pow(2).mean(dim=1) + eps)
                let d = (ss / Float(channels) + eps).squareRoot()
                for c in 0..<channels { row[c] = row[c] / d }
            }
        }
    }
}
