/// A dense Float32 tensor, contiguous, row-major (NCHW for images).
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, outermost first.
    public let shape: [Int]
    /// The values, `shape.reduce(1, *)` of them.
    public var values: [Float]

    /// A tensor of `shape` holding `values`.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, values: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of `shape` whose values `initialize` writes, every one of them (no zero fill first).
    public init(shape: [Int], initializingWith initialize: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        self.init(shape: shape, values: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialize(buffer)
            initialized = count
        })
    }

    /// The number of values.
    public var count: Int { values.count }

    /// The same values seen with another shape of the same size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, values: values)
    }
}
