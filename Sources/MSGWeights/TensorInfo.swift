import MSGTensor

// MARK: - TensorInfo

/// One header entry, after validation: dtype known, shape and byte range consistent.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range within the data section (not the file).
    public let byteRange: Range<Int>

    /// Product of `shape` (the parser checked it does not overflow).
    public var elementCount: Int { Tensor.elementCount(shape) ?? 0 }
}
