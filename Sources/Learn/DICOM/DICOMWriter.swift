/// Writes DICOM Part 10 files holding one greyscale frame, in any transfer syntax the reader
/// reads; the synthetic hospitals and the tests use it.
public struct DICOMWriter: Sendable {
    /// A data element to write besides the file meta and image pixel modules.
    public struct Element: Sendable {
        /// The tag.
        public let tag: DICOMTag
        /// The value representation ("CS", "LO", "SQ", ...).
        public let representation: String
        /// The value bytes (ignored for sequences).
        public let value: [UInt8]
        /// The items of a sequence ("SQ").
        public let items: [[Element]]

        /// A text element; padded with a space (a NUL for "UI") to even length.
        public init(_ tag: DICOMTag, _ representation: String, _ text: String) {
            self.init(tag, representation, bytes: Array(text.utf8))
        }

        /// A binary element; padded with a zero to even length.
        public init(_ tag: DICOMTag, _ representation: String, bytes: [UInt8]) {
            self.tag = tag
            self.representation = representation
            self.value = bytes
            self.items = []
        }

        /// A sequence of `items`.
        public init(sequence tag: DICOMTag, items: [[Element]]) {
            self.tag = tag
            self.representation = "SQ"
            self.value = []
            self.items = items
        }
    }

    /// How encapsulated frames are indexed.
    public enum OffsetTable: Sendable {
        /// An empty basic offset table (the common case for one frame).
        case emptyBasic
        /// A basic offset table holding the frame's offset.
        case basic
        /// An empty basic offset table and the extended offset table (7FE0,0001) with its lengths.
        case extended
    }

    /// The transfer syntax to write.
    public var transferSyntax: DICOMTransferSyntax
    /// Elements besides the file meta and image pixel modules (patient, study, view, sequences).
    public var elements: [Element] = []
    /// Sequences and their items are written with undefined lengths and delimiters, else with lengths.
    public var undefinedLengthSequences = true
    /// JPEG quality 1...100 (JPEG baseline only).
    public var jpegQuality = 90
    /// MCUs between JPEG restart markers, 0 for none (JPEG baseline only).
    public var restartInterval = 0
    /// Fragments the JPEG stream is split across (JPEG baseline only).
    public var fragmentCount = 1
    /// The offset table of encapsulated pixel data (JPEG baseline only).
    public var offsetTable = OffsetTable.emptyBasic
    /// The SOP Instance UID.
    public var instanceUID = "2.25.1"

    /// A writer of `transferSyntax`.
    public init(transferSyntax: DICOMTransferSyntax) {
        self.transferSyntax = transferSyntax
    }

    /// Secondary Capture Image Storage, as SIIM-ACR's files declare.
    static let secondaryCaptureClass = "1.2.840.10008.5.1.4.1.1.7"
    /// This implementation's class UID (a UUID-derived 2.25 UID) and version name.
    static let implementationClass = "2.25.186892535829178219406203618713880745379"
    static let implementationVersion = "PEER_0_2"

    /// The file for `pixels`: stored values of `attributes.bitsStored` bits (0...255 for JPEG baseline).
    public func encode(pixels: [Int32], attributes: DICOMImageAttributes) -> [UInt8] {
        precondition(pixels.count == attributes.rows * attributes.columns && attributes.samplesPerPixel == 1)
        var output = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        var meta: [UInt8] = []
        let explicitMeta = { (element: Element) in meta += self.encode(element, explicitVR: true) }
        explicitMeta(Element(DICOMTag(0x0002, 0x0001), "OB", bytes: [0, 1]))
        explicitMeta(Element(DICOMTag(0x0002, 0x0002), "UI", Self.secondaryCaptureClass))
        explicitMeta(Element(DICOMTag(0x0002, 0x0003), "UI", instanceUID))
        explicitMeta(Element(.transferSyntaxUID, "UI", transferSyntax.rawValue))
        explicitMeta(Element(DICOMTag(0x0002, 0x0012), "UI", Self.implementationClass))
        explicitMeta(Element(DICOMTag(0x0002, 0x0013), "SH", Self.implementationVersion))
        output += encode(Element(DICOMTag(0x0002, 0x0000), "UL", bytes: littleEndian(UInt32(meta.count), 4)), explicitVR: true)
        output += meta

        var dataSet = elements + [
            Element(DICOMTag(0x0008, 0x0016), "UI", Self.secondaryCaptureClass),
            Element(DICOMTag(0x0008, 0x0018), "UI", instanceUID),
            Element(.samplesPerPixel, "US", bytes: littleEndian(1, 2)),
            Element(.photometricInterpretation, "CS", attributes.photometric),
            Element(.rows, "US", bytes: littleEndian(UInt32(attributes.rows), 2)),
            Element(.columns, "US", bytes: littleEndian(UInt32(attributes.columns), 2)),
            Element(.bitsAllocated, "US", bytes: littleEndian(UInt32(attributes.bitsAllocated), 2)),
            Element(.bitsStored, "US", bytes: littleEndian(UInt32(attributes.bitsStored), 2)),
            Element(.highBit, "US", bytes: littleEndian(UInt32(attributes.bitsStored - 1), 2)),
            Element(.pixelRepresentation, "US", bytes: littleEndian(attributes.isSigned ? 1 : 0, 2)),
        ]
        if attributes.rescaleSlope != 1 || attributes.rescaleIntercept != 0 {
            dataSet.append(Element(.rescaleIntercept, "DS", decimal(attributes.rescaleIntercept)))
            dataSet.append(Element(.rescaleSlope, "DS", decimal(attributes.rescaleSlope)))
        }
        let pixelBytes: [UInt8]
        if transferSyntax == .jpegBaseline {
            precondition(attributes.bitsAllocated == 8, "JPEG baseline holds 8-bit samples")
            dataSet.append(Element(DICOMTag(0x0028, 0x2110), "CS", "01"))
            dataSet.append(Element(DICOMTag(0x0028, 0x2114), "CS", "ISO_10918_1"))
            let image = JPEGImage(width: attributes.columns, height: attributes.rows, planes: [pixels.map { UInt8(clamping: $0) }])
            let stream = JPEGEncoder.encode(image, quality: jpegQuality, restartInterval: restartInterval)
            let (encapsulated, tables) = encapsulate(stream)
            dataSet += tables
            pixelBytes = encapsulated
        } else {
            var samples: [UInt8] = []
            samples.reserveCapacity(pixels.count * attributes.bitsAllocated / 8)
            for value in pixels {
                samples += attributes.bitsAllocated == 8 ? [UInt8(truncatingIfNeeded: value)] : littleEndian(UInt32(truncatingIfNeeded: value), 2)
            }
            if samples.count % 2 == 1 { samples.append(0) }
            var header = littleEndian(0x7FE0, 2) + littleEndian(0x0010, 2)
            if transferSyntax.isExplicitVR {
                header += Array((attributes.bitsAllocated == 8 ? "OB" : "OW").utf8) + [0, 0]
            }
            pixelBytes = header + littleEndian(UInt32(samples.count), 4) + samples
        }
        for element in dataSet.sorted(by: { ($0.tag.group, $0.tag.element) < ($1.tag.group, $1.tag.element) }) {
            output += encode(element, explicitVR: transferSyntax.isExplicitVR)
        }
        return output + pixelBytes
    }

    // MARK: - Encoding

    private func littleEndian(_ value: UInt32, _ byteCount: Int) -> [UInt8] {
        (0..<byteCount).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
    }

    private func decimal(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
    }

    private func header(_ tag: DICOMTag, _ representation: String, length: UInt32, explicitVR: Bool) -> [UInt8] {
        var bytes = littleEndian(UInt32(tag.group), 2) + littleEndian(UInt32(tag.element), 2)
        guard explicitVR, tag.group != 0xFFFE else { return bytes + littleEndian(length, 4) }
        bytes += Array(representation.utf8)
        if DICOMTag.longFormRepresentations.contains(representation) { return bytes + [0, 0] + littleEndian(length, 4) }
        return bytes + littleEndian(length, 2)
    }

    private func encode(_ element: Element, explicitVR: Bool) -> [UInt8] {
        if element.representation == "SQ" {
            var body: [UInt8] = []
            for item in element.items {
                let content = item.flatMap { encode($0, explicitVR: explicitVR) }
                if undefinedLengthSequences {
                    body += header(.item, "", length: .max, explicitVR: false) + content + header(.itemDelimitation, "", length: 0, explicitVR: false)
                } else {
                    body += header(.item, "", length: UInt32(content.count), explicitVR: false) + content
                }
            }
            if undefinedLengthSequences {
                return header(element.tag, "SQ", length: .max, explicitVR: explicitVR) + body + header(.sequenceDelimitation, "", length: 0, explicitVR: false)
            }
            return header(element.tag, "SQ", length: UInt32(body.count), explicitVR: explicitVR) + body
        }
        var value = element.value
        if value.count % 2 == 1 { value.append(["UI", "OB", "OW", "UN"].contains(element.representation) ? 0 : 0x20) }
        return header(element.tag, element.representation, length: UInt32(value.count), explicitVR: explicitVR) + value
    }

    /// The encapsulated Pixel Data element for one JPEG frame, and the extended offset table elements if requested.
    private func encapsulate(_ stream: [UInt8]) -> (pixelData: [UInt8], tables: [Element]) {
        var padded = stream
        if padded.count % 2 == 1 { padded.append(0) }
        let pieceCount = max(1, min(fragmentCount, padded.count / 2))
        let pieceLength = padded.count / pieceCount / 2 * 2
        var fragments: [UInt8] = []
        for piece in 0..<pieceCount {
            let start = piece * pieceLength, end = piece == pieceCount - 1 ? padded.count : start + pieceLength
            fragments += header(.item, "", length: UInt32(end - start), explicitVR: false) + padded[start..<end]
        }
        let offsets: [UInt8] = offsetTable == .basic ? littleEndian(0, 4) : []
        let pixelData = header(.pixelData, "OB", length: .max, explicitVR: true) + header(.item, "", length: UInt32(offsets.count), explicitVR: false)
            + offsets + fragments + header(.sequenceDelimitation, "", length: 0, explicitVR: false)
        guard offsetTable == .extended else { return (pixelData, []) }
        return (pixelData, [Element(.extendedOffsetTable, "OV", bytes: littleEndian(0, 4) + littleEndian(0, 4)),
                            Element(.extendedOffsetTableLengths, "OV", bytes: littleEndian(UInt32(padded.count), 4) + littleEndian(0, 4))])
    }
}
