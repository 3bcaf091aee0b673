import Testing
@testable import Crypto

@Suite struct KeyAgreementTests {
    let vector = KnownAnswers.shared.x25519
    let federation = Blake2b.hash(Array("topology".utf8))

    @Test func rfc7748PublicKeys() throws {
        let alice = try X25519KeyPair(secretKey: SecureBytes(copying: [UInt8](hex: vector.aliceSecret)))
        let bob = try X25519KeyPair(secretKey: SecureBytes(copying: [UInt8](hex: vector.bobSecret)))
        #expect(alice.publicKey.rawRepresentation.hexString == vector.alicePublic)
        #expect(bob.publicKey.rawRepresentation.hexString == vector.bobPublic)
    }

    @Test func pairwiseSecretIsTheDocumentedHashOfTheRFC7748SharedSecret() throws {
        let alice = try X25519KeyPair(secretKey: SecureBytes(copying: [UInt8](hex: vector.aliceSecret)))
        let secret = try KeyAgreement.pairwiseSecret(localKeyPair: alice, localID: "b-alice",
                                                     remoteKey: X25519PublicKey(rawRepresentation: [UInt8](hex: vector.bobPublic)),
                                                     remoteID: "a-bob", federationID: federation, round: 3)
        var hasher = Blake2b.Hasher()
        hasher.updateField(KeyAgreement.domain)
        hasher.updateField(federation)
        hasher.update(UInt64(3))
        hasher.updateField(Array("a-bob".utf8))
        hasher.updateField([UInt8](hex: vector.bobPublic))
        hasher.updateField(Array("b-alice".utf8))
        hasher.updateField([UInt8](hex: vector.alicePublic))
        hasher.update([UInt8](hex: vector.shared))
        let expected = hasher.finalize()
        #expect(secret == SecureBytes(copying: expected))
    }

    @Test func bothSidesDeriveTheSameSecretAndOnlyForTheirContext() throws {
        let u = X25519KeyPair(), v = X25519KeyPair(), w = X25519KeyPair()
        let uv = try KeyAgreement.pairwiseSecret(localKeyPair: u, localID: "u", remoteKey: v.publicKey, remoteID: "v", federationID: federation, round: 1)
        let vu = try KeyAgreement.pairwiseSecret(localKeyPair: v, localID: "v", remoteKey: u.publicKey, remoteID: "u", federationID: federation, round: 1)
        #expect(uv == vu)
        #expect(uv.count == 32)
        let otherRound = try KeyAgreement.pairwiseSecret(localKeyPair: u, localID: "u", remoteKey: v.publicKey, remoteID: "v", federationID: federation, round: 2)
        let otherFederation = try KeyAgreement.pairwiseSecret(localKeyPair: u, localID: "u", remoteKey: v.publicKey, remoteID: "v",
                                                              federationID: Blake2b.hash([1]), round: 1)
        let otherPeer = try KeyAgreement.pairwiseSecret(localKeyPair: u, localID: "u", remoteKey: w.publicKey, remoteID: "w", federationID: federation, round: 1)
        let swappedIDs = try KeyAgreement.pairwiseSecret(localKeyPair: u, localID: "v2", remoteKey: v.publicKey, remoteID: "u2", federationID: federation, round: 1)
        for other in [otherRound, otherFederation, otherPeer, swappedIDs] { #expect(uv != other) }
    }

    @Test func lowOrderPublicKeyIsRefused() throws {
        let zero = try X25519PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32))
        #expect(throws: CryptoError.weakPublicKey) {
            try KeyAgreement.pairwiseSecret(localKeyPair: X25519KeyPair(), localID: "u", remoteKey: zero, remoteID: "v",
                                            federationID: federation, round: 1)
        }
    }

    /// The points of small order on Curve25519 (in their usual encodings, as libsodium's
    /// blacklist lists them) are weak; fresh keys never are.
    @Test func smallOrderPointsAreWeakAndFreshKeysAreNot() throws {
        let smallOrder = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ]
        for hex in smallOrder {
            let bytes = stride(from: 0, to: hex.count, by: 2).map { offset -> UInt8 in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
            }
            #expect(try X25519PublicKey(rawRepresentation: bytes).isWeak, "\(hex)")
        }
        for _ in 0..<64 { #expect(!X25519KeyPair().publicKey.isWeak) }
    }

    @Test func canonicalOrderIsByteWise() {
        #expect(KeyAgreement.precedes("hospital-a", "hospital-b"))
        #expect(!KeyAgreement.precedes("hospital-b", "hospital-a"))
        #expect(KeyAgreement.precedes("Z", "a"))
        #expect(!KeyAgreement.precedes("a", "a"))
    }
}

@Suite struct SealedShareTests {
    let sender = X25519KeyPair(), recipient = X25519KeyPair()
    let secret = SecureBytes(copying: Array(0..<33))

    @Test func opensForItsRecipientFromItsSender() throws {
        let sealed = try SealedShare(sealing: secret, to: recipient.publicKey, from: sender)
        #expect(sealed.bytes.count == 33 + 24 + 16)
        #expect(try sealed.open(from: sender.publicKey, with: recipient) == secret)
        let again = try SealedShare(sealing: secret, to: recipient.publicKey, from: sender)
        #expect(again.bytes != sealed.bytes) // fresh nonce every time
    }

    @Test func tamperedWrongSenderOrWrongRecipientFail() throws {
        let sealed = try SealedShare(sealing: secret, to: recipient.publicKey, from: sender)
        for position in [0, 24, sealed.bytes.count - 1] {
            var bytes = sealed.bytes
            bytes[position] ^= 0x80
            #expect(throws: CryptoError.authenticationFailed) { try SealedShare(bytes: bytes).open(from: sender.publicKey, with: recipient) }
        }
        #expect(throws: CryptoError.authenticationFailed) { try sealed.open(from: X25519KeyPair().publicKey, with: recipient) }
        #expect(throws: CryptoError.authenticationFailed) { try sealed.open(from: sender.publicKey, with: X25519KeyPair()) }
    }

    @Test func truncatedAndOversizedAreRejectedByLength() throws {
        let sealed = try SealedShare(sealing: secret, to: recipient.publicKey, from: sender)
        #expect(throws: CryptoError.self) { try SealedShare(bytes: Array(sealed.bytes.prefix(39))) }
        #expect(throws: CryptoError.self) { try SealedShare(bytes: [UInt8](repeating: 0, count: 2000)) }
        #expect(throws: CryptoError.self) { try SealedShare(sealing: SecureBytes(randomCount: 1025), to: recipient.publicKey, from: sender) }
    }
}

@Suite struct SecretStreamTests {
    /// Keys of a client and a server that exchanged ephemeral public keys.
    func channel() throws -> (client: ChannelKeys, server: ChannelKeys) {
        let client = X25519KeyPair(), server = X25519KeyPair()
        return (try ChannelKeys(role: .client, local: client, remote: server.publicKey),
                try ChannelKeys(role: .server, local: server, remote: client.publicKey))
    }

    @Test func clientAndServerKeysPairUp() throws {
        let (client, server) = try channel()
        #expect(client.transmit == server.receive)
        #expect(client.receive == server.transmit)
        #expect(client.transmit != client.receive)
    }

    @Test func messagesArriveInOrderAndTheFinalOneEndsTheStream() throws {
        let (client, server) = try channel()
        let pusher = try SecretStreamPusher(key: client.transmit)
        let puller = try SecretStreamPuller(key: server.receive, header: pusher.header)
        let messages = [Array("hello".utf8), [], [UInt8](repeating: 7, count: 70_000)]
        for message in messages {
            let (opened, isFinal) = try puller.pull(pusher.push(message))
            #expect(opened == message)
            #expect(!isFinal)
        }
        let last = try puller.pull(pusher.push(Array("bye".utf8), isFinal: true))
        #expect(last.isFinal)
        #expect(throws: CryptoError.streamFinished) { try pusher.push([1]) }
        #expect(throws: CryptoError.streamFinished) { try puller.pull([UInt8](repeating: 0, count: 40)) }
    }

    @Test func tamperedReplayedReorderedOrTruncatedFramesFail() throws {
        let (client, server) = try channel()
        let pusher = try SecretStreamPusher(key: client.transmit)
        let first = try pusher.push(Array("one".utf8)), second = try pusher.push(Array("two".utf8))

        var tampered = first
        tampered[tampered.count / 2] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try SecretStreamPuller(key: server.receive, header: pusher.header).pull(tampered) }
        #expect(throws: CryptoError.authenticationFailed) { try SecretStreamPuller(key: server.receive, header: pusher.header).pull(second) }

        let puller = try SecretStreamPuller(key: server.receive, header: pusher.header)
        _ = try puller.pull(first)
        #expect(throws: CryptoError.authenticationFailed) { try puller.pull(first) }
        #expect(throws: CryptoError.self) { try SecretStreamPuller(key: server.receive, header: pusher.header).pull(first.prefix(10)) }
        #expect(throws: CryptoError.authenticationFailed) { try SecretStreamPuller(key: server.transmit, header: pusher.header).pull(first) }
    }

    @Test func badKeysAndHeadersAreRejected() throws {
        #expect(throws: CryptoError.self) { try SecretStreamPusher(key: SecureBytes(randomCount: 31)) }
        let pusher = try SecretStreamPusher(key: SecureBytes(randomCount: 32))
        #expect(throws: CryptoError.self) { try SecretStreamPuller(key: SecureBytes(randomCount: 32), header: pusher.header.dropLast()) }
    }
}
