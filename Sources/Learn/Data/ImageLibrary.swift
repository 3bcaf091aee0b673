/// Decoded, resized images held in memory, so that epochs never decode a DICOM twice: each image
/// is square, `size` pixels a side, brightness scaled to 0...1 (8-bit images divided by 255,
/// deeper ones stretched from their minimum to their maximum).
public struct ImageLibrary: Sendable {
    /// Pixels per side.
    public let size: Int
    /// `size * size` values per image.
    public let images: [[Float]]
    /// 1 for pneumothorax, 0 otherwise.
    public let labels: [Float]

    /// Images given directly (tests, synthetic batches).
    public init(size: Int, images: [[Float]], labels: [Float]) {
        precondition(images.count == labels.count && images.allSatisfy { $0.count == size * size })
        self.size = size
        self.images = images
        self.labels = labels
    }

    /// Decodes and resizes `items` on `threadCount` threads.
    /// - Parameter progress: called with the number of images done, from worker threads.
    /// - Throws: the first file's error, prefixed with its path.
    public init(items: [SIIMDataset.Item], size: Int, threadCount: Int = 2,
                progress: @escaping @Sendable (Int) -> Void = { _ in }) throws {
        let images = try Parallel.map(items.count, threadCount: threadCount, progress: progress) { index in
            do {
                return try Self.load(items[index].path, size: size)
            } catch {
                throw LoadFailure(path: items[index].path, underlying: "\(error)")
            }
        }
        self.size = size
        self.images = images
        self.labels = items.map { $0.isPositive ? 1 : 0 }
    }

    /// A file that could not be loaded.
    public struct LoadFailure: Error, CustomStringConvertible {
        public let path: String
        public let underlying: String
        public var description: String { "\(path): \(underlying)" }
    }

    /// One DICOM file decoded, scaled to 0...1 and resized to `size` x `size` (area averaging).
    public static func load(_ path: String, size: Int) throws -> [Float] {
        let image = try DICOMImage(try DICOMFile(contentsOf: path))
        var pixels = image.pixels
        if image.attributes.bitsStored == 8, image.attributes.rescaleSlope == 1, image.attributes.rescaleIntercept == 0 {
            pixels = pixels.map { $0 / 255 }
        } else if let low = pixels.min(), let high = pixels.max(), high > low {
            pixels = pixels.map { ($0 - low) / (high - low) }
        }
        return ImageResize.resize(pixels, width: image.columns, height: image.rows, to: size, size)
    }

    /// The images at `indices` as a batch [N, 1, size, size], normalised to (x - 0.5) / 0.25.
    public func batch(_ indices: [Int], transform: (Int, [Float]) -> [Float] = { $1 }) -> Batch {
        var values: [Float] = []
        values.reserveCapacity(indices.count * size * size)
        for (position, index) in indices.enumerated() {
            values += transform(position, images[index]).map { ($0 - Self.mean) / Self.deviation }
        }
        return Batch(images: Tensor(shape: [indices.count, 1, size, size], values: values), labels: indices.map { labels[$0] })
    }

    /// The normalisation applied to 0...1 brightness before the network.
    public static let mean: Float = 0.5
    public static let deviation: Float = 0.25
}
