/// Why a DICOM file could not be read.
public enum DICOMError: Error, Equatable, CustomStringConvertible {
    /// Not a DICOM Part 10 file: no "DICM" after the 128-byte preamble.
    case notPart10
    /// The file ends inside an element, a sequence or the pixel data.
    case truncated(String)
    /// The file breaks the DICOM encoding rules or declares sizes it cannot hold.
    case malformed(String)
    /// The pixel data uses a transfer syntax this reader does not decode.
    case unsupportedTransferSyntax(uid: String, name: String)
    /// A valid image attribute this reader does not handle (bit depth, colour model, ...).
    case unsupported(String)
    /// The JPEG stream inside the pixel data could not be decoded.
    case jpeg(JPEGError)

    public var description: String {
        switch self {
        case .notPart10: "not a DICOM Part 10 file (no 'DICM' at byte 128)"
        case .truncated(let reason): "truncated DICOM file: \(reason)"
        case .malformed(let reason): "malformed DICOM file: \(reason)"
        case .unsupportedTransferSyntax(let uid, let name):
            "unsupported transfer syntax \(uid) (\(name)); readable: " + DICOMTransferSyntax.allCases.map { "\($0.rawValue) (\($0.name))" }.joined(separator: ", ")
        case .unsupported(let reason): "unsupported DICOM image: \(reason)"
        case .jpeg(let error): "pixel data: \(error)"
        }
    }
}
