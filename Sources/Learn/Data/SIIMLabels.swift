internal import Foundation

/// The labels of a SIIM-ACR style `train-rle.csv`: a header `ImageId, EncodedPixels` (SIIM writes
/// a space after the comma), then one row per mask. `-1` (spaces allowed) marks an image without
/// pneumothorax; an image with several masks has several rows; an image is positive if any of its
/// rows has a mask.
public struct SIIMLabels: Sendable {
    /// One row of the file.
    public struct Row: Sendable, Equatable {
        /// The image, its file name without `.dcm`.
        public let imageID: String
        /// The run-length numbers as written (start, length pairs); empty for `-1`.
        public let numbers: [Int]
        /// The line in the file (1 is the header).
        public let line: Int
    }

    /// How the run starts are counted.
    public enum Encoding: String, Sendable {
        /// SIIM-ACR as distributed: each start counts from the end of the previous run, from 0.
        case relative
        /// Kaggle's usual encoding: starts are 1-based pixel numbers.
        case absolute
    }

    /// Why a labels file was refused: the file, the line and what is wrong.
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let reason: String
        public var description: String { "\(path):\(line): \(reason)" }
    }

    /// The rows in file order.
    public let rows: [Row]
    /// Image ids in order of first appearance.
    public let imageIDs: [String]
    private let rowsByImage: [String: [Int]]

    /// Reads the labels file at `path`.
    /// - Throws: `Malformed` for bad content, or the file system's error.
    public init(contentsOf path: String) throws {
        try self.init(text: String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self), path: path)
    }

    /// Parses `text`, reporting errors against `path`.
    public init(text: String, path: String = "train-rle.csv") throws(Malformed) {
        var rows: [Row] = []
        var rowsByImage: [String: [Int]] = [:]
        var imageIDs: [String] = []
        var sawHeader = false
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard sawHeader else {
                guard fields == ["ImageId", "EncodedPixels"] else {
                    throw Malformed(path: path, line: index + 1, reason: "expected the header 'ImageId, EncodedPixels', found '\(line)'")
                }
                sawHeader = true
                continue
            }
            guard fields.count == 2, !fields[0].isEmpty else {
                throw Malformed(path: path, line: index + 1, reason: "expected 'ImageId, EncodedPixels' (two fields), found '\(line)'")
            }
            var numbers: [Int] = []
            if fields[1] != "-1" {
                for token in fields[1].split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    guard let number = Int(token), number >= 0 else {
                        throw Malformed(path: path, line: index + 1, reason: "EncodedPixels holds '\(token)'; expected -1 or non-negative integers")
                    }
                    numbers.append(number)
                }
                guard !numbers.isEmpty, numbers.count % 2 == 0 else {
                    throw Malformed(path: path, line: index + 1, reason: "EncodedPixels needs start/length pairs, found \(numbers.count) numbers")
                }
            }
            if rowsByImage[fields[0]] == nil { imageIDs.append(fields[0]) }
            rowsByImage[fields[0], default: []].append(rows.count)
            rows.append(Row(imageID: fields[0], numbers: numbers, line: index + 1))
        }
        guard sawHeader else { throw Malformed(path: path, line: 1, reason: "empty file; expected the header 'ImageId, EncodedPixels'") }
        self.rows = rows
        self.imageIDs = imageIDs
        self.rowsByImage = rowsByImage
    }

    // MARK: - Figures

    /// Whether any row of `imageID` has a mask; nil for an image the file does not list.
    public func isPositive(_ imageID: String) -> Bool? {
        rowsByImage[imageID].map { $0.contains { !rows[$0].numbers.isEmpty } }
    }

    /// Images with at least one mask.
    public var positiveImageCount: Int { imageIDs.count { isPositive($0) == true } }

    /// Images with more than one mask row.
    public var multipleMaskImageCount: Int {
        imageIDs.count { id in rowsByImage[id]!.count { !rows[$0].numbers.isEmpty } > 1 }
    }

    // MARK: - Masks

    /// The encoding of the file's runs for `width` x `height` images: relative when every row fits
    /// that reading, else absolute when every row fits that one.
    /// - Throws: `Malformed` naming the first row neither reading fits.
    public func encoding(width: Int, height: Int, path: String = "train-rle.csv") throws(Malformed) -> Encoding {
        let masked = rows.filter { !$0.numbers.isEmpty }
        if masked.allSatisfy({ Self.runs($0.numbers, .relative, pixelCount: width * height) != nil }) { return .relative }
        if let row = masked.first(where: { Self.runs($0.numbers, .absolute, pixelCount: width * height) == nil }) {
            throw Malformed(path: path, line: row.line, reason: "runs of \(row.imageID) fit a \(width)x\(height) image neither as relative nor as absolute starts")
        }
        return .absolute
    }

    /// The runs as 0-based (first pixel, length) pairs, or nil when they leave the image or overlap.
    static func runs(_ numbers: [Int], _ encoding: Encoding, pixelCount: Int) -> [(start: Int, length: Int)]? {
        var runs: [(start: Int, length: Int)] = []
        var end = 0
        for pair in stride(from: 0, to: numbers.count, by: 2) {
            let start: Int
            switch encoding {
            case .relative: start = end + numbers[pair]
            case .absolute:
                guard numbers[pair] >= 1, numbers[pair] - 1 >= end else { return nil }
                start = numbers[pair] - 1
            }
            let length = numbers[pair + 1]
            guard start <= pixelCount, length <= pixelCount - start else { return nil }
            runs.append((start, length))
            end = start + length
        }
        return runs
    }

    /// The union of the masks of `imageID` (255 inside, 0 outside), row-major. Pixels are numbered
    /// column by column, as SIIM-ACR numbers them.
    public func mask(for imageID: String, width: Int, height: Int, encoding: Encoding) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: width * height)
        for index in rowsByImage[imageID] ?? [] {
            for run in Self.runs(rows[index].numbers, encoding, pixelCount: width * height) ?? [] {
                for pixel in run.start..<(run.start + run.length) {
                    mask[(pixel % height) * width + pixel / height] = 255
                }
            }
        }
        return mask
    }

    /// The relative run-length encoding of `mask` (nonzero inside, row-major), numbered column by
    /// column, or "-1" for an empty mask.
    public static func relativeRLE(_ mask: [UInt8], width: Int, height: Int) -> String {
        var numbers: [Int] = []
        var previousEnd = 0, runStart = -1
        for pixel in 0...(width * height) {
            let inside = pixel < width * height && mask[(pixel % height) * width + pixel / height] != 0
            if inside, runStart < 0 {
                runStart = pixel
            } else if !inside, runStart >= 0 {
                numbers += [runStart - previousEnd, pixel - runStart]
                previousEnd = pixel
                runStart = -1
            }
        }
        return numbers.isEmpty ? "-1" : numbers.map(String.init).joined(separator: " ")
    }
}
