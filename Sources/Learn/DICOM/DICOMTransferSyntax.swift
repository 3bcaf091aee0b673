/// The transfer syntaxes this reader decodes.
public enum DICOMTransferSyntax: String, CaseIterable, Sendable {
    /// Implicit VR little endian, native pixels (the DICOM default).
    case implicitLittleEndian = "1.2.840.10008.1.2"
    /// Explicit VR little endian, native pixels.
    case explicitLittleEndian = "1.2.840.10008.1.2.1"
    /// JPEG baseline (process 1) in encapsulated pixel data, explicit VR little endian: SIIM-ACR's syntax.
    case jpegBaseline = "1.2.840.10008.1.2.4.50"

    /// The standard's name of the syntax.
    public var name: String {
        switch self {
        case .implicitLittleEndian: "Implicit VR Little Endian"
        case .explicitLittleEndian: "Explicit VR Little Endian"
        case .jpegBaseline: "JPEG Baseline (Process 1)"
        }
    }

    /// Whether data elements carry their value representation.
    var isExplicitVR: Bool { self != .implicitLittleEndian }

    /// Names of syntaxes that are recognised but refused, for clear errors.
    static let knownUnsupported: [String: String] = [
        "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2": "Explicit VR Big Endian (retired)",
        "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 and 4)",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless (Process 14)",
        "1.2.840.10008.1.2.4.70": "JPEG Lossless, first-order prediction (Process 14 SV1)",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless",
        "1.2.840.10008.1.2.4.91": "JPEG 2000",
        "1.2.840.10008.1.2.5": "RLE Lossless",
    ]
}
