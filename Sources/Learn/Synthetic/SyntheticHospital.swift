internal import Foundation

/// Writes a synthetic hospital in the SIIM-ACR layout: JPEG-baseline DICOMs with SIIM-like headers
/// under `dicom-images-train/<study>/<series>/<image>.dcm`, and `train-rle.csv` beside them with
/// the pneumothorax masks (relative run starts, pixels numbered column by column).
public struct SyntheticHospital: Sendable {
    /// Number of images.
    public var imageCount: Int
    /// Pixels per side.
    public var size = 1024
    /// Fraction of images with a pneumothorax (the count is rounded; which images is random).
    public var positiveRate = 0.22
    /// Seed of everything random; the same seed, site and counts give the same files.
    public var seed: UInt64 = 1
    /// The hospital's acquisition profile.
    public var site = 0
    /// Threads rendering images.
    public var threadCount = 2

    /// A hospital of `imageCount` images.
    public init(imageCount: Int) {
        self.imageCount = imageCount
    }

    /// What was written.
    public struct Summary: Sendable, Equatable {
        /// Images written.
        public let imageCount: Int
        /// Images with a pneumothorax.
        public let positiveCount: Int
        /// The labels file.
        public let labelsPath: String
    }

    /// The name of the labels file, as in SIIM-ACR.
    public static let labelsFileName = "train-rle.csv"

    /// The site's acquisition profile.
    public var profile: SiteProfile {
        var generator = DataRandom(seed: DataRandom.mix(0x5173, UInt64(site)))
        return SiteProfile(site: site, using: &generator)
    }

    /// Writes the hospital into `directory` (created if missing).
    /// - Parameter progress: called with the number of images written so far, from worker threads.
    /// - Throws: the file system's errors.
    public func write(to directory: String, progress: @escaping @Sendable (Int) -> Void = { _ in }) throws -> Summary {
        precondition(imageCount > 0 && size >= 64 && (0...1).contains(positiveRate))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let positives = positiveFlags()
        let profile = profile
        let rows = try Parallel.map(imageCount, threadCount: threadCount, progress: progress) { index in
            try writeImage(index, positive: positives[index], profile: profile, into: directory)
        }
        let csv = "ImageId, EncodedPixels\n" + rows.map { $0 + "\n" }.joined()
        let labelsPath = directory + "/" + Self.labelsFileName
        try AtomicFile.write(Array(csv.utf8), to: labelsPath)
        return Summary(imageCount: imageCount, positiveCount: positives.count { $0 }, labelsPath: labelsPath)
    }

    /// Which images are positive: exactly round(count x rate) of them, shuffled by the seed.
    func positiveFlags() -> [Bool] {
        let positiveCount = Int((Double(imageCount) * positiveRate).rounded())
        var flags = (0..<imageCount).map { $0 < positiveCount }
        var generator = DataRandom(seed: DataRandom.mix(seed, UInt64(site) &+ 0xF1A6))
        flags.shuffle(using: &generator)
        return flags
    }

    /// Image `index` as acquired (8-bit pixels), its pneumothorax mask and the rest of its patient's random stream.
    func render(_ index: Int, positive: Bool, profile: SiteProfile) -> (pixels: [UInt8], mask: [UInt8], generator: DataRandom) {
        var generator = DataRandom(seed: DataRandom.mix(seed, UInt64(site)), index: UInt64(index))
        let phantom = ChestPhantom(positive: positive, site: profile, using: &generator)
        let (canvas, mask) = phantom.render(size: size)
        let pixels = profile.acquire(canvas, using: &generator)
        return (pixels, mask, generator)
    }

    /// Renders, encodes and writes image `index`; returns its CSV row.
    private func writeImage(_ index: Int, positive: Bool, profile: SiteProfile, into directory: String) throws -> String {
        let (pixels, mask, rest) = render(index, positive: positive, profile: profile)
        var generator = rest
        let sex = Float.random(in: 0..<1, using: &generator) < 0.55 ? "M" : "F"
        let age = Int.random(in: 18...88, using: &generator)
        let view = Float.random(in: 0..<1, using: &generator) < 0.6 ? "PA" : "AP"
        let study = Self.uid(&generator), series = Self.uid(&generator), instance = Self.uid(&generator)
        let patient = (0..<4).map { _ in String(generator.next() & 0xFFFF_FFFF, radix: 16) }.joined(separator: "-")
        var writer = DICOMWriter(transferSyntax: .jpegBaseline)
        writer.instanceUID = instance
        writer.jpegQuality = 95
        writer.elements = [
            .init(DICOMTag(0x0008, 0x0005), "CS", "ISO_IR 100"),
            .init(DICOMTag(0x0008, 0x0020), "DA", "19010101"),
            .init(DICOMTag(0x0008, 0x0030), "TM", "000000.00"),
            .init(DICOMTag(0x0008, 0x0060), "CS", "CR"),
            .init(DICOMTag(0x0008, 0x0064), "CS", "WSD"),
            .init(DICOMTag(0x0008, 0x103E), "LO", "view: \(view)"),
            .init(DICOMTag(0x0010, 0x0010), "PN", patient),
            .init(DICOMTag(0x0010, 0x0020), "LO", patient),
            .init(.patientSex, "CS", sex),
            .init(.patientAge, "AS", String(age)),
            .init(DICOMTag(0x0018, 0x0015), "CS", "CHEST"),
            .init(.viewPosition, "CS", view),
            .init(DICOMTag(0x0020, 0x000D), "UI", study),
            .init(DICOMTag(0x0020, 0x000E), "UI", series),
            .init(DICOMTag(0x0020, 0x0011), "IS", "1"),
            .init(DICOMTag(0x0020, 0x0013), "IS", "1"),
            .init(DICOMTag(0x0028, 0x0030), "DS", String(format: "%.3f\\%.3f", 0.168 * 1024 / Double(size), 0.168 * 1024 / Double(size))),
        ]
        let bytes = writer.encode(pixels: pixels.map(Int32.init), attributes: DICOMImageAttributes(rows: size, columns: size))
        let folder = "\(directory)/dicom-images-train/\(study)/\(series)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/\(instance).dcm"), options: .atomic)
        return "\(instance), " + SIIMLabels.relativeRLE(mask, width: size, height: size)
    }

    /// A UUID-derived UID (PS3.5 B.2: "2.25." and the 128-bit number in decimal).
    static func uid(_ generator: inout DataRandom) -> String {
        var high = generator.next() >> 1, low = generator.next()
        // Decimal digits of the 127-bit number high:low, by repeated division by 10.
        var digits: [Character] = []
        repeat {
            let highQuotient = high / 10, highRemainder = high % 10
            let (lowQuotient, lowRemainder) = UInt64(10).dividingFullWidth((highRemainder, low))
            high = highQuotient
            low = lowQuotient
            digits.append(Character(String(lowRemainder)))
        } while high != 0 || low != 0
        return "2.25." + String(digits.reversed())
    }
}
