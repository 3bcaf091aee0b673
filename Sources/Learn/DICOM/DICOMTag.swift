/// A data element tag: (group, element).
public struct DICOMTag: Hashable, Sendable, CustomStringConvertible {
    /// The group number.
    public let group: UInt16
    /// The element number within the group.
    public let element: UInt16

    /// The tag (`group`, `element`).
    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    public var description: String {
        let hex = { (value: UInt16) in
            let digits = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - digits.count) + digits
        }
        return "(\(hex(group)),\(hex(element)))"
    }

    // MARK: - Tags the reader and writer use

    static let transferSyntaxUID = DICOMTag(0x0002, 0x0010)
    static let item = DICOMTag(0xFFFE, 0xE000)
    static let itemDelimitation = DICOMTag(0xFFFE, 0xE00D)
    static let sequenceDelimitation = DICOMTag(0xFFFE, 0xE0DD)
    /// Patient's Sex (M, F, O).
    public static let patientSex = DICOMTag(0x0010, 0x0040)
    /// Patient's Age ("062Y" in the standard, "62" in SIIM-ACR).
    public static let patientAge = DICOMTag(0x0010, 0x1010)
    /// View Position (PA, AP, ...).
    public static let viewPosition = DICOMTag(0x0018, 0x5101)
    static let samplesPerPixel = DICOMTag(0x0028, 0x0002)
    static let photometricInterpretation = DICOMTag(0x0028, 0x0004)
    static let numberOfFrames = DICOMTag(0x0028, 0x0008)
    static let rows = DICOMTag(0x0028, 0x0010)
    static let columns = DICOMTag(0x0028, 0x0011)
    static let bitsAllocated = DICOMTag(0x0028, 0x0100)
    static let bitsStored = DICOMTag(0x0028, 0x0101)
    static let highBit = DICOMTag(0x0028, 0x0102)
    static let pixelRepresentation = DICOMTag(0x0028, 0x0103)
    static let rescaleIntercept = DICOMTag(0x0028, 0x1052)
    static let rescaleSlope = DICOMTag(0x0028, 0x1053)
    static let extendedOffsetTable = DICOMTag(0x7FE0, 0x0001)
    static let extendedOffsetTableLengths = DICOMTag(0x7FE0, 0x0002)
    static let pixelData = DICOMTag(0x7FE0, 0x0010)

    /// Value representations of the tags read from implicit VR data sets, where files do not say.
    static let implicitRepresentations: [DICOMTag: String] = [
        samplesPerPixel: "US", rows: "US", columns: "US", bitsAllocated: "US", bitsStored: "US",
        highBit: "US", pixelRepresentation: "US", photometricInterpretation: "CS", numberOfFrames: "IS",
        rescaleIntercept: "DS", rescaleSlope: "DS", patientSex: "CS", patientAge: "AS", viewPosition: "CS",
        pixelData: "OW", extendedOffsetTable: "OV", extendedOffsetTableLengths: "OV",
    ]

    /// Value representations whose explicit encoding has a 4-byte length after two reserved bytes.
    static let longFormRepresentations: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"]
}
