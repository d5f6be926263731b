/// Everything that can go wrong in MSGImage; each case names what is at fault.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// A tensor that is not `[3, H, W]` with H, W >= 1.
    case invalidTensorShape([Int])
    /// An image PNG cannot hold (zero or too large a side).
    case invalidImageSize(width: Int, height: Int)
    /// A PNG text keyword that breaks the PNG rules (1-79 printable Latin-1 bytes, ...).
    case invalidTextKey(key: String, reason: String)
    /// A PNG text value that cannot be stored (e.g. contains NUL).
    case invalidTextValue(key: String, reason: String)
    case invalidCompressionLevel(Int)
    /// libpng (or the checks around it) refused to encode; the message is libpng's.
    case pngEncodingFailed(String)
    /// Not a PNG, corrupt, truncated, or not 8-bit RGB.
    case pngDecodingFailed(String)
    case npyBadMagic
    case npyUnsupportedVersion(major: UInt8, minor: UInt8)
    case npyBadHeader(String)
    case npyUnsupportedDType(String)
    case npyFortranOrder
    /// The data after the header is not exactly the size the header's shape needs.
    case npySizeMismatch(expected: Int, actual: Int)
    /// A file system step (`operation`) failed for `path`; `reason` is the errno text.
    case fileWriteFailed(path: String, operation: String, reason: String)
    /// An output path msg-gen will not write to (a device, FIFO, socket,
    /// directory, dangling link...): `reason` names the kind (OutputTarget's rule).
    case outputRefused(path: String, reason: String)
    /// An animation (WebP, GIF) could not be encoded or decoded; `reason` names the step.
    case animationFailed(format: String, reason: String)

    public var description: String {
        switch self {
        case .invalidTensorShape(let shape):
            return "expected an image tensor of shape [3, H, W] with H, W >= 1, got \(shape)"
        case .invalidImageSize(let width, let height):
            return "image size \(width)x\(height) cannot be stored as PNG (each side must be 1...\(Int32.max))"
        case .invalidTextKey(let key, let reason):
            return "invalid PNG text keyword \(key.debugDescription): \(reason)"
        case .invalidTextValue(let key, let reason):
            return "invalid PNG text value for keyword \(key.debugDescription): \(reason)"
        case .invalidCompressionLevel(let level):
            return "invalid PNG compression level \(level): must be 0...9"
        case .pngEncodingFailed(let message):
            return "PNG encoding failed: \(message)"
        case .pngDecodingFailed(let message):
            return "PNG decoding failed: \(message)"
        case .npyBadMagic:
            return "not a .npy file: the magic string \\x93NUMPY is missing"
        case .npyUnsupportedVersion(let major, let minor):
            return "unsupported .npy format version \(major).\(minor) (1.0, 2.0 and 3.0 are read)"
        case .npyBadHeader(let reason):
            return "malformed .npy header: \(reason)"
        case .npyUnsupportedDType(let descr):
            return "unsupported .npy dtype \(descr.debugDescription): only '<f4' (little-endian float32) is read"
        case .npyFortranOrder:
            return "unsupported .npy layout: fortran_order is True, only C order is read"
        case .npySizeMismatch(let expected, let actual):
            return ".npy data is \(actual) bytes, the header's shape needs exactly \(expected)"
        case .fileWriteFailed(let path, let operation, let reason):
            return "cannot write \(path): \(operation) failed: \(reason)"
        case .outputRefused(let path, let reason):
            return "will not write \(path): \(reason)"
        case .animationFailed(let format, let reason):
            return "\(format) animation: \(reason)"
        }
    }
}
