internal import CSodium

/// An X25519 public key: a per-round key advertised in the protocol, or a connection's
/// ephemeral key in the transport handshake.
public struct X25519PublicKey: PublicKeyBytes {
    /// Bytes in an X25519 public key.
    public static let byteCount = 32

    /// The 32 raw key bytes.
    public let rawRepresentation: [UInt8]

    public static let kindDescription = "an X25519 public key"

    public init(checkedBytes: [UInt8]) {
        precondition(checkedBytes.count == Self.byteCount, "unchecked key length")
        rawRepresentation = checkedBytes
    }
}

/// A fresh X25519 key pair. The same curve serves key agreement (the pairwise mask secret),
/// `crypto_box` (sealed shares) and `crypto_kx` (channel keys).
public struct X25519KeyPair: Sendable {
    /// Bytes in an X25519 secret key.
    public static let secretKeyByteCount = 32

    /// The public half, to advertise.
    public let publicKey: X25519PublicKey
    /// The secret half, wiped when released. Secure aggregation secret-shares a peer's mask
    /// key so that the others can remove its masks if it drops.
    public let secretKey: SecureBytes

    /// A fresh random key pair.
    public init() {
        Sodium.initialize()
        var publicBytes = [UInt8](repeating: 0, count: X25519PublicKey.byteCount)
        secretKey = SecureBytes(count: Self.secretKeyByteCount) { secret in
            let status = crypto_box_keypair(&publicBytes, secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
            precondition(status == 0, "crypto_box_keypair failed")
        }
        publicKey = try! X25519PublicKey(rawRepresentation: publicBytes)
    }

    /// The key pair of a given secret key (for known-answer tests and restored state).
    /// - Throws: `CryptoError.invalidKeyLength` when the secret is not 32 bytes.
    public init(secretKey: SecureBytes) throws(CryptoError) {
        guard secretKey.count == Self.secretKeyByteCount else {
            throw .invalidKeyLength(kind: "an X25519 secret key", expected: Self.secretKeyByteCount, actual: secretKey.count)
        }
        Sodium.initialize()
        var publicBytes = [UInt8](repeating: 0, count: X25519PublicKey.byteCount)
        let status = secretKey.withUnsafeBytes {
            crypto_scalarmult_base(&publicBytes, $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        precondition(status == 0, "crypto_scalarmult_base failed")
        self.secretKey = secretKey
        publicKey = try X25519PublicKey(rawRepresentation: publicBytes)
    }
}

extension X25519PublicKey {
    /// Whether the key is a point of small order (or otherwise gives X25519 the all-zero
    /// output): key agreement with it would yield a secret anyone can compute. Peers refuse
    /// such a key when it is advertised, before using it for anything.
    public var isWeak: Bool {
        Sodium.initialize()
        // Any clamped scalar is a multiple of the cofactor 8, so it sends exactly the points of
        // small order to zero; libsodium refuses those inputs (and a zero output) with -1.
        var scalar = [UInt8](repeating: 0, count: X25519KeyPair.secretKeyByteCount)
        scalar[0] = 9
        var output = [UInt8](repeating: 0, count: Int(crypto_scalarmult_bytes()))
        return crypto_scalarmult(&output, scalar, rawRepresentation) != 0
    }
}
