import Testing
@testable import Crypto

@Suite struct GF256Tests {
    @Test func everyNonZeroElementHasAnInverse() {
        for a in UInt8(1)...255 {
            #expect(GF256.multiply(a, GF256.inverse(a)) == 1)
        }
    }

    @Test func multiplicationMatchesTheAESExample() {
        // FIPS-197 section 4.2: {57} * {83} = {c1}, {57} * {13} = {fe}.
        #expect(GF256.multiply(0x57, 0x83) == 0xc1)
        #expect(GF256.multiply(0x57, 0x13) == 0xfe)
    }
}

@Suite struct SecretSharingTests {
    static let parameters: [(threshold: Int, shareCount: Int, seed: UInt64)] = [
        (2, 2, 1), (2, 3, 2), (3, 3, 3), (3, 5, 4), (4, 7, 5), (5, 9, 6), (10, 20, 7), (17, 40, 8), (128, 255, 9), (255, 255, 10),
    ]

    @Test(arguments: parameters)
    func anyThresholdSharesRebuildAndFewerDoNot(threshold: Int, shareCount: Int, seed: UInt64) throws {
        let secret = SecureBytes(randomCount: 32)
        let shares = try SecretSharing.split(secret, threshold: threshold, shareCount: shareCount)
        #expect(shares.map(\.index) == (1...shareCount).map { UInt8($0) })
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<5 {
            let subset = Array(shares.shuffled(using: &generator).prefix(threshold))
            #expect(try SecretSharing.combine(subset, threshold: threshold) == secret)
            let tooFew = Array(subset.prefix(threshold - 1))
            if threshold - 1 >= 2 {
                #expect(try SecretSharing.combine(tooFew, threshold: threshold - 1) != secret)
            } else {
                #expect(tooFew[0].value != secret) // one share of a threshold-2 split is not the secret
            }
            #expect(throws: CryptoError.tooFewShares(count: threshold - 1, threshold: threshold)) {
                try SecretSharing.combine(tooFew, threshold: threshold)
            }
        }
    }

    @Test(arguments: [(1, 3), (0, 0), (4, 3), (2, 256), (-1, 5)])
    func badParametersAreRejected(threshold: Int, shareCount: Int) {
        #expect(throws: CryptoError.invalidSharingParameters(threshold: threshold, shareCount: shareCount)) {
            try SecretSharing.split(SecureBytes(randomCount: 32), threshold: threshold, shareCount: shareCount)
        }
    }

    @Test func duplicateAndMismatchedSharesAreRejected() throws {
        let shares = try SecretSharing.split(SecureBytes(randomCount: 32), threshold: 3, shareCount: 5)
        #expect(throws: CryptoError.duplicateShare(index: 2)) {
            try SecretSharing.combine([shares[1], shares[0], shares[1]], threshold: 3)
        }
        let short = SecretShare(index: 9, value: SecureBytes(randomCount: 31))
        #expect(throws: CryptoError.self) { try SecretSharing.combine([shares[0], shares[1], short], threshold: 3) }
        let zero = SecretShare(index: 0, value: SecureBytes(randomCount: 32))
        #expect(throws: CryptoError.self) { try SecretSharing.combine([shares[0], shares[1], zero], threshold: 3) }
    }

    @Test func serializedFormRoundTripsAndRejectsBadInput() throws {
        let share = try SecretSharing.split(SecureBytes(randomCount: 32), threshold: 2, shareCount: 4)[3]
        let parsed = try SecretShare(serialized: share.serialized)
        #expect(parsed.index == 4)
        #expect(parsed.value == share.value)
        #expect(throws: CryptoError.self) { try SecretShare(serialized: SecureBytes(copying: [0, 1, 2])) }
        #expect(throws: CryptoError.self) { try SecretShare(serialized: SecureBytes(copying: [3])) }
    }
}
