/// Why a JPEG stream could not be decoded or encoded.
public enum JPEGError: Error, Equatable, CustomStringConvertible {
    /// The stream ends before a marker segment or the entropy-coded data is complete.
    case truncated(String)
    /// The stream breaks the JPEG syntax (ISO/IEC 10918-1) or declares impossible sizes.
    case malformed(String)
    /// A valid JPEG feature this decoder does not implement (progressive, lossless, 12-bit, subsampling).
    case unsupported(String)

    public var description: String {
        switch self {
        case .truncated(let reason): "truncated JPEG: \(reason)"
        case .malformed(let reason): "malformed JPEG: \(reason)"
        case .unsupported(let reason): "unsupported JPEG: \(reason)"
        }
    }
}
