/// A model's state_dict as a value: every tensor by its torchvision name, in state_dict order.
/// What a peer checkpoints, hashes and advances by the federation's average update. Its float
/// tensors (parameters and batch norm running statistics, not num_batches_tracked) read as one
/// flat vector: the vector secure aggregation averages.
public struct ModelState: Sendable {
    public let tensors: [SafetensorsWriter.Tensor]

    /// The state of `model` now.
    public init(_ model: any Layer) {
        tensors = model.stateDict
    }

    /// The state a safetensors file holds, tensors in the file's data order.
    public init(safetensors bytes: [UInt8]) throws(SafetensorsReader.Malformed) {
        tensors = try SafetensorsReader.decode(bytes).map { entry in
            switch entry.values {
            case .float32(let values): SafetensorsWriter.Tensor(name: entry.name, shape: entry.shape, values: values)
            case .int64(let values): SafetensorsWriter.Tensor(name: entry.name, shape: entry.shape, integers: values)
            }
        }
    }

    private init(tensors: [SafetensorsWriter.Tensor]) {
        self.tensors = tensors
    }

    /// The safetensors file of this state; the same state always gives the same bytes.
    public var safetensors: [UInt8] { SafetensorsWriter.encode(tensors) }

    /// The float values, in order: every parameter, and each batch norm's running mean and
    /// variance right after its weight and bias.
    public var vector: [Float] {
        var vector: [Float] = []
        vector.reserveCapacity(vectorCount)
        for tensor in tensors {
            if case .float32(let values) = tensor.values { vector += values }
        }
        return vector
    }

    /// The length of `vector`.
    public var vectorCount: Int {
        tensors.reduce(0) { total, tensor in
            if case .float32(let values) = tensor.values { return total + values.count }
            return total
        }
    }

    /// This state with `vector` as its float values; integer tensors unchanged.
    /// - Precondition: `vector.count == vectorCount`.
    public func replacingVector(_ vector: [Float]) -> ModelState {
        precondition(vector.count == vectorCount, "a vector of \(vector.count) values for a state of \(vectorCount)")
        var offset = 0
        return ModelState(tensors: tensors.map { tensor in
            guard case .float32(let values) = tensor.values else { return tensor }
            defer { offset += values.count }
            return SafetensorsWriter.Tensor(name: tensor.name, shape: tensor.shape, values: Array(vector[offset..<(offset + values.count)]))
        })
    }

    /// This state with `delta` added to its float values, element by element.
    /// - Precondition: `delta.count == vectorCount`.
    public func adding(_ delta: [Float]) -> ModelState {
        precondition(delta.count == vectorCount, "a delta of \(delta.count) values for a state of \(vectorCount)")
        var next = vector
        for i in next.indices { next[i] += delta[i] }
        return replacingVector(next)
    }

    /// Calls `body` with each float tensor's values and their offset in `vector`, in order.
    public func forEachSegment(_ body: (_ offset: Int, _ values: [Float]) -> Void) {
        var offset = 0
        for tensor in tensors {
            guard case .float32(let values) = tensor.values else { continue }
            body(offset, values)
            offset += values.count
        }
    }

    /// The bytes of `adding(delta).safetensors`, handed to `body` piece by piece (the head, then
    /// each tensor), without the whole new state in memory at once: what a model hash needs.
    /// - Precondition: `delta.count == vectorCount`.
    public func safetensorsPieces(adding delta: [Float], _ body: (UnsafeRawBufferPointer) -> Void) {
        precondition(delta.count == vectorCount, "a delta of \(delta.count) values for a state of \(vectorCount)")
        SafetensorsWriter.head(tensors).withUnsafeBytes(body)
        var offset = 0
        for tensor in tensors {
            switch tensor.values {
            case .float32(let values):
                var sum = values
                for i in sum.indices { sum[i] += delta[offset + i] }
                offset += values.count
                sum.withUnsafeBytes(body)
            case .int64(let values):
                values.withUnsafeBytes(body)
            }
        }
    }

    /// Loads this state into `model` strictly (`StateDictLoading`).
    public func load(into model: any Layer) throws(StateDictLoading.Mismatch) {
        try StateDictLoading.load(tensors.map { SafetensorsReader.Entry(name: $0.name, shape: $0.shape, values: $0.values) }, into: model)
    }
}
