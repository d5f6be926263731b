import MSGTensor

/// NumPy's `.npy` format for raw float32 output (and float64 latents): the
/// writers produce exactly the bytes `numpy.save` writes for a C-order
/// `float32` / `float64` array; the readers accept only those dtypes and C
/// order and check every size.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    /// numpy pads the header so the data starts on this boundary.
    static let alignment = 64
    /// numpy leaves room to grow the first axis in place (`GROWTH_AXIS_MAX_DIGITS`).
    static let growthAxisMaxDigits = 21
    /// The reader refuses larger headers (numpy's own default limit is 10000).
    public static let maxHeaderLength = 10_000

    /// Version 1.0, `'<f4'`, `fortran_order: False`; header as numpy 2 writes it.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        var out = prefix(shape: tensor.shape, descr: "<f4", byteCount: tensor.count * 4)
        #if _endian(little)
        tensor.data.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
        for value in tensor.data {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
        }
        #endif
        return out
    }

    /// Magic, version and header for `dims` and `descr`, with capacity for the data.
    private static func prefix(shape dims: [Int], descr: String, byteCount: Int) -> [UInt8] {
        let shape = dims.isEmpty ? "()"
            : dims.count == 1 ? "(\(dims[0]),)"
            : "(" + dims.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        if let first = dims.first {
            header += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count))
        }
        // Prefix: magic (6) + version (2) + header length (2); the header ends in "\n".
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        let padding = alignment - unpadded % alignment
        header += String(repeating: " ", count: padding) + "\n"
        let headerLength = header.utf8.count
        precondition(headerLength <= Int(UInt16.max), "shape \(dims) needs a .npy header over 65535 bytes")

        var out: [UInt8] = []
        out.reserveCapacity(magic.count + 4 + headerLength + byteCount)
        out += magic
        out += [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        out += Array(header.utf8)
        return out
    }

    /// Reads a `.npy` holding a little-endian float32 array in C order
    /// (format version 1.0, 2.0 or 3.0).
    public static func decode(_ bytes: [UInt8]) throws(ImageError) -> Tensor {
        let (header, dataStart) = try parsePrefix(bytes)
        guard header.descr == "<f4" else { throw .npyUnsupportedDType(header.descr) }
        let count = try checkedDataSize(header, bytes: bytes, dataStart: dataStart, itemSize: 4)
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: dataStart + i * 4, as: UInt32.self)
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            initialized = count
        }
        return Tensor(shape: header.shape, data: data)
    }

    /// A float array of either width, as latents files hold them.
    public struct FloatArray: Sendable, Equatable {
        public var shape: [Int]
        /// The values, widened exactly to float64.
        public var values: [Double]
        /// `"<f4"` or `"<f8"`.
        public var descr: String
    }

    /// Reads a `.npy` holding a little-endian float32 (`<f4`) or float64 (`<f8`)
    /// array in C order; values come back as float64 (exact for both).
    public static func decodeFloats(_ bytes: [UInt8]) throws(ImageError) -> FloatArray {
        let (header, dataStart) = try parsePrefix(bytes)
        let item: Int
        switch header.descr {
        case "<f4": item = 4
        case "<f8": item = 8
        default: throw .npyUnsupportedDType(header.descr)
        }
        let count = try checkedDataSize(header, bytes: bytes, dataStart: dataStart, itemSize: item)
        let values = bytes.withUnsafeBytes { raw in
            (0..<count).map { i -> Double in
                item == 4 ? Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + i * 4, as: UInt32.self))))
                          : Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: dataStart + i * 8, as: UInt64.self)))
            }
        }
        return FloatArray(shape: header.shape, values: values, descr: header.descr)
    }

    /// Version 1.0, `'<f8'`, C order: exactly what `numpy.save` writes for a float64 array.
    public static func encode(float64 values: [Double], shape: [Int]) -> [UInt8] {
        precondition(Tensor.elementCount(shape) == values.count)
        var out = prefix(shape: shape, descr: "<f8", byteCount: values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// Magic, version and header; the data starts at the returned offset.
    private static func parsePrefix(_ bytes: [UInt8]) throws(ImageError) -> (NPYHeader, Int) {
        guard bytes.count >= magic.count + 2, Array(bytes[0..<magic.count]) == magic else { throw .npyBadMagic }
        let major = bytes[6]
        let minor = bytes[7]
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default: throw .npyUnsupportedVersion(major: major, minor: minor)
        }
        let headerStart = 8 + lengthBytes
        guard bytes.count >= headerStart else { throw .npyBadHeader("file ends inside the header length") }
        var headerLength = 0
        for k in (0..<lengthBytes).reversed() { headerLength = headerLength << 8 | Int(bytes[8 + k]) }
        guard headerLength <= maxHeaderLength else {
            throw .npyBadHeader("header of \(headerLength) bytes exceeds the \(maxHeaderLength)-byte limit")
        }
        guard bytes.count - headerStart >= headerLength else {
            throw .npyBadHeader("header claims \(headerLength) bytes, file has \(bytes.count - headerStart) after the prefix")
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        guard let headerText = String(validating: headerBytes, as: UTF8.self) else {
            throw .npyBadHeader("header is not valid text")
        }
        return (try NPYHeader(parsing: headerText), headerStart + headerLength)
    }

    /// The element count, once the layout is C order and the data exactly fills the file.
    private static func checkedDataSize(_ header: NPYHeader, bytes: [UInt8], dataStart: Int, itemSize: Int) throws(ImageError) -> Int {
        guard !header.fortranOrder else { throw .npyFortranOrder }
        guard let count = Tensor.elementCount(header.shape),
              case let (expected, overflow) = count.multipliedReportingOverflow(by: itemSize), !overflow else {
            throw .npyBadHeader("shape \(header.shape) is too large")
        }
        let actual = bytes.count - dataStart
        guard actual == expected else { throw .npySizeMismatch(expected: expected, actual: actual) }
        return count
    }
}

/// The header dictionary, `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`:
/// a Python literal read by a small scanner that accepts just these three
/// keys with string, boolean and int-tuple values (never `eval`).
struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    init(parsing text: String) throws(ImageError) {
        var scanner = Scanner(Array(text.unicodeScalars))
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
        try scanner.expect("{")
        while true {
            scanner.skipSpace()
            if scanner.take("}") { break }
            let key = try scanner.string()
            try scanner.expect(":")
            switch key {
            case "descr":
                guard descr == nil else { throw .npyBadHeader("duplicate key 'descr'") }
                descr = try scanner.string()
            case "fortran_order":
                guard fortranOrder == nil else { throw .npyBadHeader("duplicate key 'fortran_order'") }
                fortranOrder = try scanner.bool()
            case "shape":
                guard shape == nil else { throw .npyBadHeader("duplicate key 'shape'") }
                shape = try scanner.intTuple()
            default:
                throw .npyBadHeader("unexpected key '\(key)'")
            }
            scanner.skipSpace()
            if scanner.take(",") { continue }
            try scanner.expect("}")
            break
        }
        scanner.skipSpace()
        guard scanner.atEnd else { throw .npyBadHeader("text after the closing brace") }
        guard let descr else { throw .npyBadHeader("missing key 'descr'") }
        guard let fortranOrder else { throw .npyBadHeader("missing key 'fortran_order'") }
        guard let shape else { throw .npyBadHeader("missing key 'shape'") }
        self.descr = descr
        self.fortranOrder = fortranOrder
        self.shape = shape
    }

    private struct Scanner {
        let chars: [Unicode.Scalar]
        var i = 0

        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var atEnd: Bool { i >= chars.count }

        mutating func skipSpace() {
            while i < chars.count, chars[i] == " " || chars[i] == "\n" || chars[i] == "\t" || chars[i] == "\r" { i += 1 }
        }

        mutating func take(_ c: Unicode.Scalar) -> Bool {
            skipSpace()
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }

        mutating func expect(_ c: Unicode.Scalar) throws(ImageError) {
            guard take(c) else { throw .npyBadHeader("expected '\(c)' at offset \(i)") }
        }

        mutating func string() throws(ImageError) -> String {
            skipSpace()
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else {
                throw .npyBadHeader("expected a string at offset \(i)")
            }
            let quote = chars[i]
            i += 1
            var s = String.UnicodeScalarView()
            while i < chars.count, chars[i] != quote {
                guard chars[i] != "\\" else { throw .npyBadHeader("escapes in strings are not supported") }
                s.append(chars[i])
                i += 1
            }
            guard i < chars.count else { throw .npyBadHeader("unterminated string") }
            i += 1
            return String(s)
        }

        mutating func word() -> String {
            skipSpace()
            var s = String.UnicodeScalarView()
            while i < chars.count, chars[i].properties.isAlphabetic || ("0"..."9").contains(chars[i]) {
                s.append(chars[i])
                i += 1
            }
            return String(s)
        }

        mutating func bool() throws(ImageError) -> Bool {
            switch word() {
            case "True": return true
            case "False": return false
            case let other: throw .npyBadHeader("expected True or False, got '\(other)'")
            }
        }

        mutating func intTuple() throws(ImageError) -> [Int] {
            try expect("(")
            var values: [Int] = []
            while true {
                if take(")") { return values }
                let digits = word()
                guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }),
                      let value = Int(digits) else {
                    throw .npyBadHeader("expected a non-negative integer dimension, got '\(digits)'")
                }
                values.append(value)
                if take(",") { continue }
                try expect(")")
                return values
            }
        }
    }
}
