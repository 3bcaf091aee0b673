/// The batches of training epochs from an image library: shuffled per epoch by the seed,
/// optionally class-balanced (as many positives as negatives, drawn with replacement), each image
/// augmented with its own seeded stream.
public struct TrainingBatches: BatchSource, Sendable {
    public let library: ImageLibrary
    public let batchSize: Int
    public let seed: UInt64
    /// Draw positives and negatives equally often.
    public let balanced: Bool
    /// Applied to each image of each epoch, nil for none.
    public let augmentation: Augmentation?

    public init(library: ImageLibrary, batchSize: Int, seed: UInt64, balanced: Bool = false, augmentation: Augmentation? = nil) {
        precondition(batchSize > 0)
        self.library = library
        self.batchSize = batchSize
        self.seed = seed
        self.balanced = balanced
        self.augmentation = augmentation
    }

    /// The image order of `epoch`.
    public func order(epoch: Int) -> [Int] {
        var generator = DataRandom(seed: seed, index: UInt64(epoch))
        let all = Array(library.labels.indices)
        guard balanced else { return all.shuffled(using: &generator) }
        let positives = all.filter { library.labels[$0] > 0.5 }, negatives = all.filter { library.labels[$0] <= 0.5 }
        guard !positives.isEmpty, !negatives.isEmpty else { return all.shuffled(using: &generator) }
        let half = all.count / 2
        let drawn = (0..<half).map { _ in positives.randomElement(using: &generator)! }
            + (0..<(all.count - half)).map { _ in negatives.randomElement(using: &generator)! }
        return drawn.shuffled(using: &generator)
    }

    /// The epoch's batches, each assembled (and augmented) only when it is reached.
    public func batches(epoch: Int) -> LazyMapCollection<Range<Int>, Batch> {
        let order = order(epoch: epoch)
        return (0..<((order.count + batchSize - 1) / batchSize)).lazy.map { number in
            let start = number * batchSize
            let indices = Array(order[start..<min(order.count, start + batchSize)])
            return library.batch(indices) { position, image in
                guard let augmentation else { return image }
                var generator = DataRandom(seed: DataRandom.mix(seed, UInt64(epoch)), index: UInt64(start + position))
                return augmentation.apply(image, size: library.size, using: &generator)
            }
        }
    }
}
