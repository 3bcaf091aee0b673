import Foundation

/// The published test vectors in `Vectors/known-answers.json`, with their sources.
struct KnownAnswers: Decodable {
    struct Salsa20: Decodable {
        let key, nonce: String
        /// Keystream blocks (64 bytes) by block number.
        let blocks: [String: String]
    }
    struct Ed25519: Decodable {
        let secretKey, publicKey, message, signature: String
    }
    struct X25519: Decodable {
        let aliceSecret, alicePublic, bobSecret, bobPublic, shared: String
    }
    struct Blake2b: Decodable {
        let abc512, empty512, empty256: String
    }

    let salsa20: Salsa20
    let ed25519: Ed25519
    let x25519: X25519
    let blake2b: Blake2b

    static let shared: KnownAnswers = {
        let url = Bundle.module.url(forResource: "known-answers", withExtension: "json", subdirectory: "Vectors")!
        return try! JSONDecoder().decode(KnownAnswers.self, from: Data(contentsOf: url))
    }()
}

extension Array where Element == UInt8 {
    /// Bytes from hexadecimal digits (test vectors only; traps on bad input).
    init(hex: String) {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0, "odd hex length")
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }
}
