import Crypto

/// The identity of a federation: the BLAKE2b-256 hash of its topology file's exact bytes.
///
/// Every peer runs with a byte-identical file, and the id is bound into every handshake and
/// signature, so peers with different files refuse each other.
public struct FederationID: Hashable, Sendable, CustomStringConvertible {
    /// The 32-byte digest.
    public let bytes: [UInt8]

    /// The id of a topology file with these exact bytes.
    public init(topologyFileBytes: some Collection<UInt8>) {
        bytes = Blake2b.hash(topologyFileBytes)
    }

    /// All 64 hexadecimal digits.
    public var hex: String { bytes.hexString }

    /// The first 12 hexadecimal digits, printed wherever a peer names its federation.
    public var short: String { String(hex.prefix(12)) }

    public var description: String { short }
}
