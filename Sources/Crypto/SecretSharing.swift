/// One Shamir share: the evaluation of the sharing polynomials at `index` (1...255), one
/// polynomial per byte of the secret.
public struct SecretShare: Sendable {
    /// The evaluation point, 1...255; never 0 (that is the secret).
    public let index: UInt8
    /// The share bytes, as long as the secret.
    public let value: SecureBytes

    /// A share from its parts.
    public init(index: UInt8, value: SecureBytes) {
        self.index = index
        self.value = value
    }

    /// The wire form: the index byte followed by the value, in wiped storage.
    public var serialized: SecureBytes {
        SecureBytes(count: value.count + 1) { buffer in
            buffer[0] = index
            value.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyMemory(from: $0) }
        }
    }

    /// A share from its wire form.
    /// - Throws: `CryptoError.mismatchedShares` for an empty value or index 0.
    public init(serialized: SecureBytes) throws(CryptoError) {
        guard serialized.count >= 2 else { throw .mismatchedShares(reason: "a share needs an index and at least one byte") }
        let index = serialized.withUnsafeBytes { $0[0] }
        guard index != 0 else { throw .mismatchedShares(reason: "share index 0 is the secret itself, not a share") }
        self.index = index
        value = SecureBytes(count: serialized.count - 1) { buffer in
            serialized.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[1...])) }
        }
    }
}

/// Shamir secret sharing, byte-wise over GF(2^8): any `threshold` of the shares rebuild the
/// secret; fewer reveal nothing about it.
public enum SecretSharing {
    /// The most shares one secret can have (the non-zero elements of GF(2^8)).
    public static let maximumShareCount = 255

    /// Splits `secret` into `shareCount` shares with indices 1...shareCount.
    /// - Parameters:
    ///   - secret: the bytes to share (at least one).
    ///   - threshold: shares needed to rebuild, 2...shareCount.
    ///   - shareCount: shares to make, threshold...255.
    /// - Returns: the shares, in index order.
    /// - Throws: `CryptoError.invalidSharingParameters`.
    public static func split(_ secret: SecureBytes, threshold: Int, shareCount: Int) throws(CryptoError) -> [SecretShare] {
        guard threshold >= 2, threshold <= shareCount, shareCount <= maximumShareCount else {
            throw .invalidSharingParameters(threshold: threshold, shareCount: shareCount)
        }
        guard secret.count > 0 else { throw .mismatchedShares(reason: "an empty secret cannot be shared") }
        let length = secret.count
        // coefficients[k * length + j]: coefficient of x^(k+1) of byte j's polynomial.
        let coefficients = SecureBytes(randomCount: (threshold - 1) * length)
        return (1...shareCount).map { point in
            let x = UInt8(point)
            let value = SecureBytes(count: length) { out in
                secret.withUnsafeBytes { secretBytes in
                    coefficients.withUnsafeBytes { coefficient in
                        for j in 0..<length {
                            // Horner from the highest coefficient down to the secret byte.
                            var accumulator: UInt8 = 0
                            for k in stride(from: threshold - 2, through: 0, by: -1) {
                                accumulator = GF256.multiply(accumulator, x) ^ coefficient[k * length + j]
                            }
                            out[j] = GF256.multiply(accumulator, x) ^ secretBytes[j]
                        }
                    }
                }
            }
            return SecretShare(index: x, value: value)
        }
    }

    /// Rebuilds a secret from shares made with `threshold`.
    /// - Parameters:
    ///   - shares: at least `threshold` shares of one secret; the first `threshold` are used.
    ///   - threshold: the threshold the secret was split with.
    /// - Returns: the secret. With shares of different secrets the result is garbage: callers
    ///   authenticate shares (they arrive sealed and signed) and check what they rebuild.
    /// - Throws: `CryptoError.tooFewShares`, `.duplicateShare`, `.mismatchedShares`,
    ///   `.invalidSharingParameters`.
    public static func combine(_ shares: [SecretShare], threshold: Int) throws(CryptoError) -> SecureBytes {
        guard threshold >= 2, threshold <= maximumShareCount else {
            throw .invalidSharingParameters(threshold: threshold, shareCount: shares.count)
        }
        guard shares.count >= threshold else { throw .tooFewShares(count: shares.count, threshold: threshold) }
        var seen = Set<UInt8>()
        for share in shares {
            guard share.index != 0 else { throw .mismatchedShares(reason: "share index 0 is not a share") }
            guard seen.insert(share.index).inserted else { throw .duplicateShare(index: share.index) }
            guard share.value.count == shares[0].value.count, share.value.count > 0 else {
                throw .mismatchedShares(reason: "share \(share.index) has \(share.value.count) bytes, share \(shares[0].index) has \(shares[0].value.count)")
            }
        }
        let used = Array(shares.prefix(threshold))
        // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is XOR.
        let basis = used.map { share in
            used.reduce(UInt8(1)) { product, other in
                other.index == share.index ? product
                    : GF256.multiply(product, GF256.multiply(other.index, GF256.inverse(other.index ^ share.index)))
            }
        }
        let length = used[0].value.count
        return SecureBytes(count: length) { out in
            for (share, weight) in zip(used, basis) {
                share.value.withUnsafeBytes { bytes in
                    for j in 0..<length { out[j] ^= GF256.multiply(weight, bytes[j]) }
                }
            }
        }
    }
}
