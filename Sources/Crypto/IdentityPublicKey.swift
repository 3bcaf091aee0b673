internal import CSodium
internal import Foundation

/// A peer's pinned Ed25519 public key, as written in topology files: `ed25519:<base64>`.
public struct IdentityPublicKey: PublicKeyBytes, CustomStringConvertible {
    /// Bytes in an Ed25519 public key.
    public static let byteCount = 32
    /// Bytes in an Ed25519 signature.
    public static let signatureByteCount = 64
    /// The prefix of the text form.
    public static let textPrefix = "ed25519:"

    /// The 32 raw key bytes.
    public let rawRepresentation: [UInt8]

    public static let kindDescription = "an Ed25519 public key"

    public init(checkedBytes: [UInt8]) {
        precondition(checkedBytes.count == Self.byteCount, "unchecked key length")
        rawRepresentation = checkedBytes
    }

    /// A key from its text form `ed25519:<base64 of 32 bytes>`.
    /// - Throws: `CryptoError.invalidKeyText` naming what is wrong.
    public init(text: String) throws(CryptoError) {
        guard text.hasPrefix(Self.textPrefix) else {
            throw .invalidKeyText(text, reason: "expected the prefix '\(Self.textPrefix)'")
        }
        guard let decoded = Data(base64Encoded: String(text.dropFirst(Self.textPrefix.count))) else {
            throw .invalidKeyText(text, reason: "the part after '\(Self.textPrefix)' is not base64")
        }
        guard decoded.count == Self.byteCount else {
            throw .invalidKeyText(text, reason: "it decodes to \(decoded.count) bytes, an Ed25519 public key has \(Self.byteCount)")
        }
        rawRepresentation = Array(decoded)
    }

    /// The text form `ed25519:<base64>`.
    public var text: String { Self.textPrefix + Data(rawRepresentation).base64EncodedString() }

    public var description: String { text }

    /// Whether `signature` is this key's valid Ed25519 signature of `message`.
    /// Wrong-length signatures are simply invalid.
    public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        Sodium.initialize()
        let signature = Array(signature), message = Array(message)
        guard signature.count == Self.signatureByteCount else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), rawRepresentation) == 0
    }
}
