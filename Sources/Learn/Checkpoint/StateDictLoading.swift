/// Loading a checkpoint's tensors into a model, by name, with every mismatch named.
public enum StateDictLoading {
    /// Why a checkpoint does not fit a model.
    public struct Mismatch: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Loads `entries` into `model` strictly: every tensor of the model's state_dict must be
    /// there with its shape and dtype, and nothing else may be.
    public static func load(_ entries: [SafetensorsReader.Entry], into model: any Layer) throws(Mismatch) {
        let expected = model.stateDict
        let given = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let unexpected = Set(given.keys).subtracting(expected.map(\.name))
        guard unexpected.isEmpty else {
            throw Mismatch(description: "unexpected tensors: \(unexpected.sorted().prefix(5).joined(separator: ", "))")
        }
        let parameters = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0) })
        let norms = Dictionary(uniqueKeysWithValues: model.batchNorms.map { (String($0.weight.name.dropLast(".weight".count)), $0) })
        for tensor in expected {
            guard let entry = given[tensor.name] else { throw Mismatch(description: "missing tensor \(tensor.name)") }
            guard entry.shape == tensor.shape else {
                throw Mismatch(description: "\(tensor.name) has shape \(entry.shape), the model needs \(tensor.shape)")
            }
            switch (entry.values, tensor.values) {
            case (.float32(let values), .float32):
                if let parameter = parameters[tensor.name] {
                    parameter.value.values = values
                } else if tensor.name.hasSuffix(".running_mean") {
                    norms[String(tensor.name.dropLast(".running_mean".count))]!.runningMean.values = values
                } else {
                    norms[String(tensor.name.dropLast(".running_var".count))]!.runningVariance.values = values
                }
            case (.int64(let values), .int64):
                norms[String(tensor.name.dropLast(".num_batches_tracked".count))]!.batchesTracked = values[0]
            default:
                throw Mismatch(description: "\(tensor.name) has the wrong dtype")
            }
        }
    }
}
