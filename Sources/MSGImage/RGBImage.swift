import CMSGPNG
import MSGTensor

/// An 8-bit RGB image, row-major with interleaved channels (HWC).
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `height * width * 3` bytes: pixel (x, y) channel c at `(y * width + x) * 3 + c`.
    public var pixels: [UInt8]

    /// - Precondition: `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)x\(height)")
        precondition(pixels.count == width * height * 3,
                     "\(width)x\(height) RGB needs \(width * height * 3) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8)) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)x\(height)")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = fill.0
            pixels[i + 1] = fill.1
            pixels[i + 2] = fill.2
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// Raw generator output for one image, `[3, H, W]` (CHW, nominally in
    /// [-1, 1]) -> HWC bytes through `PixelMapping`.
    public init(chw tensor: Tensor) throws(ImageError) {
        let shape = tensor.shape
        guard shape.count == 3, shape[0] == 3, shape[1] >= 1, shape[2] >= 1 else {
            throw .invalidTensorShape(shape)
        }
        let height = shape[1]
        let width = shape[2]
        let plane = height * width
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        tensor.data.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                let r = src.baseAddress!
                msg_planes_to_rgb8(r, r + plane, r + 2 * plane, plane, dst.baseAddress!)
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Nearest-neighbour upscaling by pixel repetition: each pixel becomes a
    /// `factor` x `factor` block (how the MSG-GAN paper shows its small scales).
    public func upscaled(by factor: Int) -> RGBImage {
        precondition(factor >= 1, "upscale factor must be >= 1, got \(factor)")
        if factor == 1 { return self }
        let outWidth = width * factor
        let rowBytes = outWidth * 3
        var out = [UInt8](repeating: 0, count: rowBytes * height * factor)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let base = dst.baseAddress else { return }
                for y in 0..<height {
                    let rowStart = y * factor * rowBytes
                    // Fill the block's first output row, then copy it factor - 1 times.
                    for x in 0..<width {
                        let s = (y * width + x) * 3
                        for r in 0..<factor {
                            let d = rowStart + (x * factor + r) * 3
                            dst[d] = src[s]
                            dst[d + 1] = src[s + 1]
                            dst[d + 2] = src[s + 2]
                        }
                    }
                    for r in 1..<factor {
                        (base + rowStart + r * rowBytes).update(from: base + rowStart, count: rowBytes)
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: height * factor, pixels: out)
    }

    // MARK: - Composition

    /// Copies `image` into self with its top-left corner at (x, y).
    /// - Precondition: it fits.
    mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        precondition(x >= 0 && y >= 0 && x + image.width <= width && y + image.height <= height,
                     "\(image.width)x\(image.height) at (\(x), \(y)) does not fit \(width)x\(height)")
        let rowBytes = image.width * 3
        let canvasWidth = width
        image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                for row in 0..<image.height {
                    (to + ((y + row) * canvasWidth + x) * 3).update(from: from + row * rowBytes, count: rowBytes)
                }
            }
        }
    }
}
