/// A model's trainable parameters and batch norm running statistics as one flat Float vector, in
/// state_dict order (num_batches_tracked, an integer count, is not part of it): the vector
/// secure aggregation averages.
public enum ParameterVector {
    /// The values, in order: every parameter, and each batch norm's running mean and variance
    /// right after its weight and bias.
    public static func flatten(_ model: ResNet) -> [Float] {
        var vector: [Float] = []
        vector.reserveCapacity(count(model))
        for entry in model.stateDict {
            if case .float32(let values) = entry.values { vector += values }
        }
        return vector
    }

    /// The length of `flatten(model)`.
    public static func count(_ model: ResNet) -> Int {
        model.stateDict.reduce(0) { total, entry in
            if case .float32(let values) = entry.values { return total + values.count }
            return total
        }
    }

    /// Loads `vector` (from `flatten` of a model of the same shape) into `model`.
    public static func load(_ vector: [Float], into model: ResNet) {
        precondition(vector.count == count(model), "a vector of \(vector.count) values for a model of \(count(model))")
        let parameters = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0) })
        let norms = Dictionary(uniqueKeysWithValues: model.batchNorms.map { (String($0.weight.name.dropLast(".weight".count)), $0) })
        var offset = 0
        for entry in model.stateDict {
            guard case .float32(let values) = entry.values else { continue }
            let slice = Array(vector[offset..<(offset + values.count)])
            offset += values.count
            if let parameter = parameters[entry.name] {
                parameter.value.values = slice
            } else if entry.name.hasSuffix(".running_mean") {
                norms[String(entry.name.dropLast(".running_mean".count))]!.runningMean.values = slice
            } else if entry.name.hasSuffix(".running_var") {
                norms[String(entry.name.dropLast(".running_var".count))]!.runningVariance.values = slice
            }
        }
    }
}
