internal import Foundation

/// Eval-mode outputs of a one-logit model.
public enum Scoring {
    /// The model's logit for every image of `library`, in order, `batchSize` at a time.
    public static func logits(of model: any Layer, on library: ImageLibrary, batchSize: Int = 32) -> [Float] {
        var logits: [Float] = []
        logits.reserveCapacity(library.images.count)
        for start in stride(from: 0, to: library.images.count, by: batchSize) {
            let batch = library.batch(Array(start..<min(library.images.count, start + batchSize)))
            logits += model.forward(batch.images, training: false).values
        }
        return logits
    }

    /// The sigmoid of the model's logit for every image of `library`, in order.
    public static func probabilities(of model: any Layer, on library: ImageLibrary, batchSize: Int = 32) -> [Float] {
        logits(of: model, on: library, batchSize: batchSize).map(sigmoid)
    }

    /// 1 / (1 + e^-x).
    public static func sigmoid(_ logit: Float) -> Float { 1 / (1 + exp(-logit)) }
}
