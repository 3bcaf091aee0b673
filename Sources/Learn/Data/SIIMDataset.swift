internal import Foundation

/// A dataset in the SIIM-ACR layout: DICOM files anywhere under a directory (ImageId = file name
/// without `.dcm`) and `train-rle.csv` in the directory itself.
public struct SIIMDataset: Sendable {
    /// One labelled image.
    public struct Item: Sendable, Equatable {
        /// The ImageId.
        public let imageID: String
        /// The DICOM file.
        public let path: String
        /// Whether the image has a pneumothorax.
        public let isPositive: Bool
    }

    /// Why a dataset directory cannot be used.
    public struct Unusable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Labelled images, sorted by ImageId.
    public let items: [Item]
    /// DICOM files the labels do not mention (SIIM-ACR's test images), not used.
    public let unlabelledCount: Int
    /// Labelled ImageIds without a DICOM file.
    public let missingCount: Int

    /// Scans `directory`.
    /// - Throws: `Unusable` when the labels file is missing or no labelled image is found;
    ///   `SIIMLabels.Malformed` for a bad labels file.
    public init(directory: String, labelsFile: String = SyntheticHospital.labelsFileName) throws {
        let labelsPath = directory + "/" + labelsFile
        guard FileManager.default.fileExists(atPath: labelsPath) else {
            throw Unusable(description: "\(directory) has no \(labelsFile); a SIIM-ACR style directory holds DICOM files and \(labelsFile) (see 'peer data synth')")
        }
        let labels = try SIIMLabels(contentsOf: labelsPath)
        var paths: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.lowercased().hasSuffix(".dcm") else { continue }
            let name = (relative as NSString).lastPathComponent
            paths[String(name.dropLast(4))] = directory + "/" + relative
        }
        var items: [Item] = []
        var missing = 0
        for id in labels.imageIDs {
            guard let path = paths[id] else {
                missing += 1
                continue
            }
            items.append(Item(imageID: id, path: path, isPositive: labels.isPositive(id) == true))
        }
        guard !items.isEmpty else {
            throw Unusable(description: "\(directory): none of the \(labels.imageIDs.count) images of \(labelsFile) has a DICOM file (found \(paths.count) .dcm files)")
        }
        self.items = items.sorted { $0.imageID < $1.imageID }
        self.unlabelledCount = paths.count - items.count
        self.missingCount = missing
    }

    /// The items of each part of a seeded split by image, stratified by label so that each part
    /// keeps the positive rate.
    public struct Split: Sendable {
        public let train: [Item]
        public let validation: [Item]
        public let test: [Item]
    }

    /// Splits the items: `validationFraction` and `testFraction` of each class, the rest for training.
    public func split(validationFraction: Double = 0.15, testFraction: Double = 0.15, seed: UInt64 = 1) -> Split {
        var train: [Item] = [], validation: [Item] = [], test: [Item] = []
        for label in [false, true] {
            var group = items.filter { $0.isPositive == label }
            var generator = DataRandom(seed: seed, index: label ? 1 : 0)
            group.shuffle(using: &generator)
            let validationCount = Int((Double(group.count) * validationFraction).rounded())
            let testCount = Int((Double(group.count) * testFraction).rounded())
            validation += group[0..<validationCount]
            test += group[validationCount..<(validationCount + testCount)]
            train += group[(validationCount + testCount)...]
        }
        let byID = { (a: Item, b: Item) in a.imageID < b.imageID }
        return Split(train: train.sorted(by: byID), validation: validation.sorted(by: byID), test: test.sorted(by: byID))
    }
}
