internal import CSodium

/// A peer's long-term Ed25519 identity: signs hellos and protocol messages.
public struct IdentityKey: Sendable {
    /// Bytes in the secret seed (RFC 8032's secret key).
    public static let seedByteCount = 32

    /// libsodium's 64-byte secret key: the seed followed by the public key.
    private let secretKey: SecureBytes
    /// The public half, to pin in topology files.
    public let publicKey: IdentityPublicKey

    /// A fresh random identity.
    public init() {
        try! self.init(seed: SecureBytes(randomCount: Self.seedByteCount))
    }

    /// The identity determined by a 32-byte seed.
    /// - Throws: `CryptoError.invalidKeyLength` when the seed is not 32 bytes.
    public init(seed: SecureBytes) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw .invalidKeyLength(kind: "an Ed25519 seed", expected: Self.seedByteCount, actual: seed.count)
        }
        Sodium.initialize()
        var publicBytes = [UInt8](repeating: 0, count: IdentityPublicKey.byteCount)
        secretKey = SecureBytes(count: Int(crypto_sign_secretkeybytes())) { secret in
            seed.withUnsafeBytes { seedBytes in
                let status = crypto_sign_seed_keypair(&publicBytes, secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                      seedBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
                precondition(status == 0, "crypto_sign_seed_keypair failed")
            }
        }
        publicKey = try IdentityPublicKey(rawRepresentation: publicBytes)
    }

    /// The Ed25519 signature (64 bytes) of `message`.
    public func signature(for message: some Collection<UInt8>) -> [UInt8] {
        let message = Array(message)
        var signature = [UInt8](repeating: 0, count: IdentityPublicKey.signatureByteCount)
        secretKey.withUnsafeBytes { secret in
            let status = crypto_sign_detached(&signature, nil, message, UInt64(message.count),
                                              secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
            precondition(status == 0, "crypto_sign_detached failed")
        }
        return signature
    }

    /// Calls `body` with the 32-byte seed, for writing the key file; the view must not escape.
    func withSeedBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try secretKey.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Self.seedByteCount])) }
    }
}
