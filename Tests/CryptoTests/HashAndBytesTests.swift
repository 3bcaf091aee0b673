import Testing
@testable import Crypto

@Suite struct Blake2bTests {
    let vectors = KnownAnswers.shared.blake2b

    @Test func publishedVectors() {
        #expect(Blake2b.hash(Array("abc".utf8), digestByteCount: 64).hexString == vectors.abc512)
        #expect(Blake2b.hash([UInt8](), digestByteCount: 64).hexString == vectors.empty512)
        #expect(Blake2b.hash([UInt8]()).hexString == vectors.empty256)
    }

    @Test func incrementalEqualsOneShot() {
        var generator = SeededGenerator(seed: 7)
        let message = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var hasher = Blake2b.Hasher()
        hasher.update(message[0..<333])
        hasher.update(message[333...])
        let digest = hasher.finalize()
        #expect(digest == Blake2b.hash(message))
    }

    @Test func lengthPrefixedFieldsAreUnambiguous() {
        var left = Blake2b.Hasher()
        left.updateField(Array("ab".utf8))
        left.updateField(Array("c".utf8))
        var right = Blake2b.Hasher()
        right.updateField(Array("a".utf8))
        right.updateField(Array("bc".utf8))
        let leftDigest = left.finalize(), rightDigest = right.finalize()
        #expect(leftDigest != rightDigest)
    }
}

@Suite struct SecureBytesTests {
    @Test func equalityComparesContentsAndLength() {
        let a = SecureBytes(copying: [1, 2, 3])
        #expect(a == SecureBytes(copying: [1, 2, 3]))
        #expect(a != SecureBytes(copying: [1, 2, 4]))
        #expect(a != SecureBytes(copying: [1, 2]))
        #expect(SecureBytes(copying: []) == SecureBytes(copying: []))
    }

    @Test func randomBytesDiffer() {
        let a = SecureBytes(randomCount: 32), b = SecureBytes(randomCount: 32)
        #expect(a.count == 32)
        #expect(a != b)
    }

    @Test func failedInitializerPropagatesItsError() {
        struct Failure: Error {}
        #expect(throws: Failure.self) { try SecureBytes(count: 8) { _ in throw Failure() } }
    }
}

@Suite struct SeededGeneratorTests {
    @Test func sameSeedSameSequenceOtherSeedOther() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
    }
}
