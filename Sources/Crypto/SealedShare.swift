internal import CSodium

/// A secret share sealed to its holder with `crypto_box` (X25519, XSalsa20-Poly1305):
/// only the holder can open it, and opening proves it came from the sender's key.
///
/// Wire form: 24-byte random nonce || ciphertext (plaintext + 16-byte tag).
public struct SealedShare: Hashable, Sendable {
    /// The largest plaintext a sealed share may carry (a share is a few dozen bytes).
    public static let maximumPlaintextByteCount = 1024
    static let nonceByteCount = Int(crypto_box_noncebytes())
    static let tagByteCount = Int(crypto_box_macbytes())

    /// The allowed wire sizes.
    public static var allowedByteCounts: ClosedRange<Int> {
        (nonceByteCount + tagByteCount)...(nonceByteCount + tagByteCount + maximumPlaintextByteCount)
    }

    /// The wire bytes.
    public let bytes: [UInt8]

    /// Wraps received wire bytes, checking only the length; `open` authenticates.
    /// - Throws: `CryptoError.invalidLength` outside `allowedByteCounts`.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard Self.allowedByteCounts.contains(bytes.count) else {
            throw .invalidLength(kind: "a sealed share", length: bytes.count, allowed: Self.allowedByteCounts)
        }
        self.bytes = bytes
    }

    /// Seals `plaintext` from `sender` to `recipient`.
    /// - Throws: `CryptoError.invalidLength` for an oversized plaintext, `.weakPublicKey` for a
    ///   low-order recipient key.
    public init(sealing plaintext: SecureBytes, to recipient: X25519PublicKey, from sender: X25519KeyPair) throws(CryptoError) {
        guard plaintext.count <= Self.maximumPlaintextByteCount else {
            throw .invalidLength(kind: "a share plaintext", length: plaintext.count, allowed: 0...Self.maximumPlaintextByteCount)
        }
        Sodium.initialize()
        var output = Sodium.randomBytes(count: Self.nonceByteCount)
        output += [UInt8](repeating: 0, count: plaintext.count + Self.tagByteCount)
        let status = output.withUnsafeMutableBufferPointer { out in
            plaintext.withUnsafeBytes { message in
                sender.secretKey.withUnsafeBytes { secret in
                    crypto_box_easy(out.baseAddress! + Self.nonceByteCount,
                                    message.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                                    out.baseAddress!, recipient.rawRepresentation,
                                    secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw .weakPublicKey }
        bytes = output
    }

    /// Opens the share with the recipient's key pair, checking it came from `sender`.
    /// - Throws: `CryptoError.authenticationFailed` when it was altered, truncated, sealed by
    ///   another key or for another recipient.
    public func open(from sender: X25519PublicKey, with recipient: X25519KeyPair) throws(CryptoError) -> SecureBytes {
        Sodium.initialize()
        let plaintextCount = bytes.count - Self.nonceByteCount - Self.tagByteCount
        var status: Int32 = -1
        let plaintext = SecureBytes(count: plaintextCount) { out in
            bytes.withUnsafeBufferPointer { sealed in
                recipient.secretKey.withUnsafeBytes { secret in
                    status = crypto_box_open_easy(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                  sealed.baseAddress! + Self.nonceByteCount,
                                                  UInt64(sealed.count - Self.nonceByteCount),
                                                  sealed.baseAddress!, sender.rawRepresentation,
                                                  secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }
}
