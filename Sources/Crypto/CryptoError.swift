internal import Foundation

/// Every failure the Crypto module reports. Messages say what was wrong and what to do.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key or seed had the wrong number of bytes.
    case invalidKeyLength(kind: String, expected: Int, actual: Int)
    /// A key in text form did not decode (wrong prefix, bad base64, wrong length).
    case invalidKeyText(String, reason: String)
    /// A secret key file that group or others can read; the caller must `chmod 600` it.
    case insecureKeyFile(path: String, mode: UInt32)
    /// A file operation failed; carries the operation, the path and errno.
    case fileSystem(operation: String, path: String, errno: Int32)
    /// A key file exists where a new one was to be written.
    case fileExists(path: String)
    /// A key file's contents did not parse.
    case malformedKeyFile(path: String, reason: String)
    /// X25519 gave the all-zero output: the other side's public key is of low order.
    case weakPublicKey
    /// Authenticated decryption failed: the ciphertext was altered, truncated, or not for us.
    case authenticationFailed
    /// A ciphertext or message was shorter or longer than the format allows.
    case invalidLength(kind: String, length: Int, allowed: ClosedRange<Int>)
    /// A secret stream was used after its final message, or got data after it.
    case streamFinished
    /// Secret sharing parameters outside 2 <= threshold <= shareCount <= 255.
    case invalidSharingParameters(threshold: Int, shareCount: Int)
    /// Fewer shares than the threshold were given to `combine`.
    case tooFewShares(count: Int, threshold: Int)
    /// Two shares with the same index were given to `combine`.
    case duplicateShare(index: UInt8)
    /// Shares of different lengths, or with index 0, were given to `combine`.
    case mismatchedShares(reason: String)
    /// A fixed-point parameter outside its valid range.
    case invalidFixedPointParameter(name: String, value: String, reason: String)
    /// The worst-case sum over the given number of peers does not fit the ring.
    case ringOverflow(peerCount: Int, worstCase: Double, limit: Double, maximumPeers: Int)
    /// A value to encode was NaN or infinite.
    case nonFiniteValue(index: Int)

    public var description: String {
        switch self {
        case let .invalidKeyLength(kind, expected, actual):
            return "\(kind) must be \(expected) bytes, got \(actual)"
        case let .invalidKeyText(text, reason):
            let shown = text.count > 24 ? String(text.prefix(24)) + "..." : text
            return "'\(shown)' is not a valid key: \(reason)"
        case let .insecureKeyFile(path, mode):
            return "key file \(path) is readable by group or others (mode \(String(mode & 0o777, radix: 8))); run 'chmod 600 \(path)'"
        case let .fileSystem(operation, path, errno):
            return "\(operation) \(path) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .fileExists(path):
            return "\(path) already exists; choose another path or pass --force to replace it"
        case let .malformedKeyFile(path, reason):
            return "key file \(path) is malformed: \(reason)"
        case .weakPublicKey:
            return "key agreement failed: the peer's public key is of low order"
        case .authenticationFailed:
            return "authentication failed: the data was altered, truncated, or sealed for someone else"
        case let .invalidLength(kind, length, allowed):
            return "\(kind) of \(length) bytes is outside the allowed \(allowed.lowerBound)...\(allowed.upperBound)"
        case .streamFinished:
            return "the secret stream has already ended"
        case let .invalidSharingParameters(threshold, shareCount):
            return "secret sharing needs 2 <= threshold <= shares <= 255, got threshold \(threshold) of \(shareCount) shares"
        case let .tooFewShares(count, threshold):
            return "\(count) shares cannot rebuild a secret with threshold \(threshold)"
        case let .duplicateShare(index):
            return "share \(index) was given twice"
        case let .mismatchedShares(reason):
            return "shares do not belong together: \(reason)"
        case let .invalidFixedPointParameter(name, value, reason):
            return "fixed-point \(name) \(value) is invalid: \(reason)"
        case let .ringOverflow(peerCount, worstCase, limit, maximumPeers):
            return "the worst-case sum over \(peerCount) peers, \(worstCase), exceeds the ring's \(limit); "
                + "this configuration allows at most \(maximumPeers) peers: lower fractionBits or clip, or use ringBits 64"
        case let .nonFiniteValue(index):
            return "value \(index) is NaN or infinite and cannot be encoded"
        }
    }
}
