import Foundation
import Testing
@testable import Crypto

@Suite struct IdentityKeyTests {
    let vector = KnownAnswers.shared.ed25519

    @Test func rfc8032TestOne() throws {
        let key = try IdentityKey(seed: SecureBytes(copying: [UInt8](hex: vector.secretKey)))
        #expect(key.publicKey.rawRepresentation.hexString == vector.publicKey)
        let signature = key.signature(for: [UInt8](hex: vector.message))
        #expect(signature.hexString == vector.signature)
        #expect(key.publicKey.isValidSignature(signature, for: [UInt8]()))
    }

    @Test func signaturesVerifyOnlyForTheirMessageAndKey() {
        let key = IdentityKey(), other = IdentityKey()
        let message = Array("round 7 roster".utf8)
        var signature = key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!other.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: Array("round 8 roster".utf8)))
        #expect(!key.publicKey.isValidSignature(signature.dropLast(), for: message))
        signature[10] ^= 1
        #expect(!key.publicKey.isValidSignature(signature, for: message))
    }

    @Test func textFormRoundTrips() throws {
        let key = IdentityKey()
        let text = key.publicKey.text
        #expect(text.hasPrefix("ed25519:"))
        #expect(try IdentityPublicKey(text: text) == key.publicKey)
    }

    @Test(arguments: [
        "AAAA",                                             // no prefix
        "ed25519:not base64!",                              // bad base64
        "ed25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", // 31 bytes
        "x25519:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  // wrong algorithm
    ])
    func badTextIsRejected(text: String) {
        #expect(throws: CryptoError.self) { try IdentityPublicKey(text: text) }
    }

    @Test func truncatedKeysAreRejected() {
        #expect(throws: CryptoError.invalidKeyLength(kind: "an Ed25519 public key", expected: 32, actual: 31)) {
            try IdentityPublicKey(rawRepresentation: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.self) { try IdentityKey(seed: SecureBytes(randomCount: 16)) }
    }
}

@Suite(.serialized) struct KeyFileTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "keyfile-tests-\(getpid())-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    private func mode(of path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    @Test func writtenOwnerOnlyAndReadsBack() throws {
        let path = directory + "/peer.key"
        let key = IdentityKey()
        try key.write(toFile: path)
        #expect(try mode(of: path) == 0o600)
        #expect(try IdentityKey(contentsOfFile: path).publicKey == key.publicKey)
    }

    @Test func groupReadableFileIsRefused() throws {
        let path = directory + "/loose.key"
        try IdentityKey().write(toFile: path)
        chmod(path, 0o644)
        #expect(throws: CryptoError.insecureKeyFile(path: path, mode: 0o100644)) { try IdentityKey(contentsOfFile: path) }
    }

    @Test func existingFileIsKeptUnlessReplacing() throws {
        let path = directory + "/existing.key"
        let first = IdentityKey()
        try first.write(toFile: path)
        #expect(throws: CryptoError.fileExists(path: path)) { try IdentityKey().write(toFile: path) }
        #expect(try IdentityKey(contentsOfFile: path).publicKey == first.publicKey)
        let second = IdentityKey()
        try second.write(toFile: path, replacing: true)
        #expect(try IdentityKey(contentsOfFile: path).publicKey == second.publicKey)
    }

    @Test(arguments: ["ed25519-seed:AAAA\n", "hello\n", "ed25519-seed:!!!!\n", ""])
    func malformedFilesAreRefused(contents: String) throws {
        let path = directory + "/bad-\(UUID().uuidString).key"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]))
        #expect {
            try IdentityKey(contentsOfFile: path)
        } throws: { error in
            guard case .malformedKeyFile(let reportedPath, _) = error as? CryptoError else { return false }
            return reportedPath == path
        }
    }

    @Test func oversizedFileIsRefusedBeforeReading() throws {
        let path = directory + "/huge.key"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 1 << 20), attributes: [.posixPermissions: 0o600]))
        #expect(throws: CryptoError.self) { try IdentityKey(contentsOfFile: path) }
    }

    @Test func missingFileNamesThePath() {
        let path = directory + "/missing.key"
        #expect(throws: CryptoError.fileSystem(operation: "open", path: path, errno: ENOENT)) { try IdentityKey(contentsOfFile: path) }
    }
}
