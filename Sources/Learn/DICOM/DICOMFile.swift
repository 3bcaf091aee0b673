internal import Foundation

/// A parsed DICOM Part 10 file: its transfer syntax, the top-level data elements (nested
/// sequences are checked and skipped), and where the pixel data lies.
public struct DICOMFile: Sendable {
    /// The pixel data as stored.
    enum PixelData: Sendable {
        /// Native pixels: the byte range of the value.
        case native(Range<Int>)
        /// Encapsulated frames: the basic offset table and each fragment's item offset (relative
        /// to the first fragment's item tag, as offset tables count) and value range.
        case encapsulated(basicOffsets: [UInt64], fragments: [(itemOffset: UInt64, range: Range<Int>)])
    }

    /// The file's bytes.
    let bytes: [UInt8]
    /// The transfer syntax of the data set.
    public let transferSyntax: DICOMTransferSyntax
    /// Top-level elements: value representation ("" when implicit and unknown) and value range.
    let elements: [DICOMTag: (representation: String, range: Range<Int>)]
    /// The pixel data, if the file has any.
    let pixelData: PixelData?

    /// Reads and parses the file at `path`.
    /// - Throws: `DICOMError`, or the file system's error when the file cannot be read.
    public init(contentsOf path: String) throws {
        try self.init(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// Parses `bytes`, a DICOM Part 10 file.
    /// - Throws: `DICOMError` naming what is wrong.
    public init(bytes: [UInt8]) throws(DICOMError) {
        var parser = DICOMParser(bytes: bytes)
        let syntax = try parser.readFileMeta()
        var elements: [DICOMTag: (representation: String, range: Range<Int>)] = [:]
        let pixelData = try parser.readDataSet(explicitVR: syntax.isExplicitVR, collecting: &elements)
        self.bytes = bytes
        self.transferSyntax = syntax
        self.elements = elements
        self.pixelData = pixelData
    }

    // MARK: - Values

    /// The text value of `tag` without padding (spaces, NULs), or nil when absent.
    public func string(_ tag: DICOMTag) -> String? {
        guard let element = elements[tag] else { return nil }
        let text = String(decoding: bytes[element.range], as: UTF8.self)
        return text.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
    }

    /// The first value of a US (unsigned short) element, or nil when absent or too short.
    func unsignedShort(_ tag: DICOMTag) -> Int? {
        guard let range = elements[tag]?.range, range.count >= 2 else { return nil }
        return Int(bytes[range.lowerBound]) | Int(bytes[range.lowerBound + 1]) << 8
    }

    /// The first value of a DS or IS (decimal or integer string) element, or nil when absent.
    /// - Throws: `DICOMError.malformed` when present but not a number.
    func number(_ tag: DICOMTag) throws(DICOMError) -> Double? {
        guard let text = string(tag), !text.isEmpty else { return nil }
        let first = text.split(separator: "\\", omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
        guard let value = Double(first), value.isFinite else { throw .malformed("\(tag) holds '\(text)', not a number") }
        return value
    }

    /// The little-endian 64-bit values of an OV element (extended offset tables).
    func unsignedLongs(_ tag: DICOMTag) -> [UInt64]? {
        guard let range = elements[tag]?.range else { return nil }
        return stride(from: range.lowerBound, to: range.upperBound - 7, by: 8).map { start in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * $1) }
        }
    }
}
