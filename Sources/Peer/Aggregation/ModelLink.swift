import Crypto

/// What a round binds about the model it updates: the hash of M(r-1), which every peer
/// advertises and the coordinator matches against its own, and how to get the hash of M(r) from
/// the round's average, which the coordinator signs in its Outcome (docs/PROTOCOL.md, "The
/// model chain").
public struct ModelLink: Sendable {
    /// Bytes of a model hash.
    public static let hashByteCount = 32

    /// The hash of the model this peer starts the round from.
    public let base: [UInt8]
    /// The hash of the model the round ends with, from the weighted average of the updates.
    public let next: @Sendable (_ average: [Float]) async throws -> [UInt8]

    /// - Precondition: `base` has `hashByteCount` bytes.
    public init(base: [UInt8], next: @escaping @Sendable (_ average: [Float]) async throws -> [UInt8]) {
        precondition(base.count == Self.hashByteCount, "a model hash has \(Self.hashByteCount) bytes")
        self.base = base
        self.next = next
    }

    /// A round that carries no model (benchmarks, simulations): all-zero hashes.
    public static let none = ModelLink(base: zero) { _ in zero }

    static let zero = [UInt8](repeating: 0, count: hashByteCount)
}

extension ModelLink {
    /// The first 12 hex digits of a model hash, for logs.
    public static func short(_ hash: [UInt8]) -> String { String(hash.hexString.prefix(12)) }
}
