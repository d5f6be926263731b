/// A dense float32 tensor in row-major order. Shapes follow the upstream
/// convention of the place that produced it (generator outputs are
/// `[N, 3, R, R]`, as PyTorch and TensorFlow's NCHW give them).
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    /// - Precondition: `data.count` equals the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(Tensor.elementCount(shape) == data.count,
                     "shape \(shape) holds \(Tensor.elementCount(shape) ?? -1) elements, data has \(data.count)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: Tensor.elementCount(shape) ?? 0))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// Product of `shape`, or nil when it overflows `Int` (a header can claim anything).
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    /// The slice `[i]` along the first axis, as a tensor of rank - 1.
    public func slice(_ i: Int) -> Tensor {
        precondition(rank >= 1 && i >= 0 && i < shape[0], "slice \(i) out of \(shape)")
        let inner = Array(shape.dropFirst())
        let n = Tensor.elementCount(inner)!
        return Tensor(shape: inner, data: Array(data[(i * n)..<((i + 1) * n)]))
    }
}
