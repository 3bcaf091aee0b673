/// A public key that is exactly `byteCount` raw bytes: the shared length check of
/// `IdentityPublicKey` and `X25519PublicKey`.
public protocol PublicKeyBytes: Hashable, Sendable {
    /// Bytes in the key.
    static var byteCount: Int { get }
    /// What the key is called in error messages, e.g. "an X25519 public key".
    static var kindDescription: String { get }
    /// The raw key bytes.
    var rawRepresentation: [UInt8] { get }
    /// Wraps bytes whose length has been checked.
    init(checkedBytes: [UInt8])
}

extension PublicKeyBytes {
    /// A key from its raw bytes.
    /// - Throws: `CryptoError.invalidKeyLength` unless there are exactly `byteCount` of them.
    public init(rawRepresentation: some Collection<UInt8>) throws(CryptoError) {
        let bytes = Array(rawRepresentation)
        guard bytes.count == Self.byteCount else {
            throw .invalidKeyLength(kind: Self.kindDescription, expected: Self.byteCount, actual: bytes.count)
        }
        self.init(checkedBytes: bytes)
    }
}
