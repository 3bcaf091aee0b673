internal import Foundation

/// Eval-mode probabilities of a one-logit model.
public enum Scoring {
    /// The sigmoid of the model's logit for every image of `library`, in order, `batchSize` at a time.
    public static func probabilities(of model: any Layer, on library: ImageLibrary, batchSize: Int = 32) -> [Float] {
        var scores: [Float] = []
        scores.reserveCapacity(library.images.count)
        for start in stride(from: 0, to: library.images.count, by: batchSize) {
            let batch = library.batch(Array(start..<min(library.images.count, start + batchSize)))
            scores += model.forward(batch.images, training: false).values.map { 1 / (1 + exp(-$0)) }
        }
        return scores
    }
}
