public import Crypto
internal import Foundation
import Synchronization

/// Flooding of small signed messages over the topology: every peer checks the origin's
/// signature, delivers a message once, and forwards it to its other neighbours.
///
/// Wire form on channel 1 (docs/PROTOCOL.md, "Flooding"):
/// `originLength(1) || origin || sequence(8, LE) || payloadLength(4, LE) || payload || signature(64)`,
/// the signature by the origin's identity key over
/// `"flpeer flood v1" || federation id || originLength || origin || sequence || payloadLength || payload`.
/// The message id is BLAKE2b-128 of the signed fields; a bounded seen-set of verified ids drops
/// repeats before their signature is checked.
public final class FloodOverlay: Sendable {
    /// A delivered message.
    public struct Message: Equatable, Sendable {
        public let origin: String
        public let sequence: UInt64
        public let payload: [UInt8]
        /// BLAKE2b-128 of the signed fields.
        public let id: [UInt8]
    }

    /// What happened to received copies, for metrics and tests.
    public struct Counters: Equatable, Sendable {
        public var delivered = 0
        /// Copies of a message already verified, dropped without checking their signature.
        public var duplicates = 0
        /// Malformed copies, and new ids whose origin is unknown or whose signature fails.
        public var rejected = 0
        public var forwarded = 0
    }

    /// The transport channel the overlay uses.
    public static let channel: UInt8 = 1
    /// The largest payload; flooding is for small messages (keys, shares, totals, reveals).
    public static let maximumPayloadByteCount = 1 << 20
    /// The largest message on the wire (an origin id of 255 bytes and the largest payload): the
    /// transport refuses to reassemble more than this on the overlay's channel.
    public static let maximumMessageByteCount = 1 + 255 + 8 + 4 + maximumPayloadByteCount + IdentityPublicKey.signatureByteCount
    static let context = Array("flpeer flood v1".utf8)

    private struct State {
        var seen: SeenSet
        var sequence: UInt64
        var counters = Counters()
    }

    private let transport: Transport
    private let identity: IdentityKey
    private let deliver: @Sendable (Message) async -> Void
    private let state: Mutex<State>

    /// Attaches an overlay to `transport` (it takes channel 1).
    /// - Parameters:
    ///   - identity: signs what this peer publishes; must be the transport's.
    ///   - seenCapacity: how many message ids to remember.
    ///   - deliver: called once per message, including this peer's own.
    public init(transport: Transport, identity: IdentityKey, seenCapacity: Int = 65_536,
                deliver: @escaping @Sendable (Message) async -> Void) {
        self.transport = transport
        self.identity = identity
        self.deliver = deliver
        // Sequences start at the wall clock in microseconds, so a restarted peer's new messages
        // never collide with ids its neighbours still remember.
        state = Mutex(State(seen: SeenSet(capacity: seenCapacity), sequence: UInt64(Date().timeIntervalSince1970 * 1_000_000)))
        transport.setHandler(channel: Self.channel, maximumMessageByteCount: Self.maximumMessageByteCount) { [weak self] from, bytes in
            await self?.receive(bytes, from: from)
        }
    }

    /// Signs `payload`, delivers it locally and sends it to every connected neighbour.
    /// - Returns: the message as delivered.
    @discardableResult
    public func publish(_ payload: [UInt8]) async -> Message {
        precondition(payload.count <= Self.maximumPayloadByteCount, "flood payloads are at most 1 MiB")
        let sequence = state.withLock { state -> UInt64 in
            state.sequence += 1
            return state.sequence
        }
        let signed = Self.signedFields(origin: transport.localID, sequence: sequence, payload: payload)
        let wire = signed + identity.signature(for: Self.context + transport.topology.federationID.bytes + signed)
        let message = Message(origin: transport.localID, sequence: sequence, payload: payload, id: Blake2b.hash(signed, digestByteCount: 16))
        _ = state.withLock { $0.seen.insert(message.id) }
        state.withLock { $0.counters.delivered += 1 }
        await deliver(message)
        forward(wire, except: nil)
        return message
    }

    /// The counters so far.
    public var counters: Counters { state.withLock { $0.counters } }

    // MARK: - Receiving

    /// The cheap checks first: lengths, then the seen-set, and only for an id not seen yet the
    /// origin and its signature. Only verified ids enter the seen-set, so a forged copy (the id
    /// covers the signed fields, not the signature) cannot make the genuine message a duplicate.
    private func receive(_ wire: [UInt8], from neighbour: String) async {
        guard let (message, signed, signature) = Self.parse(wire) else {
            state.withLock { $0.counters.rejected += 1 }
            return
        }
        let seen = state.withLock { state -> Bool in
            guard state.seen.contains(message.id) else { return false }
            state.counters.duplicates += 1
            return true
        }
        guard !seen else { return }
        guard let origin = transport.topology.peer(message.origin),
              origin.key.isValidSignature(signature, for: Self.context + transport.topology.federationID.bytes + signed) else {
            state.withLock { $0.counters.rejected += 1 }
            return
        }
        // Another copy may have been verified meanwhile: the insertion decides which is first.
        let fresh = state.withLock { state -> Bool in
            let inserted = state.seen.insert(message.id)
            if inserted { state.counters.delivered += 1 } else { state.counters.duplicates += 1 }
            return inserted
        }
        guard fresh else { return }
        forward(wire, except: neighbour)
        await deliver(message)
    }

    private func forward(_ wire: [UInt8], except neighbour: String?) {
        let targets = transport.connectedNeighbours.filter { $0 != neighbour }
        state.withLock { $0.counters.forwarded += targets.count }
        Task {
            for target in targets { try? await transport.send(wire, channel: Self.channel, to: target) }
        }
    }

    // MARK: - Wire form

    static func signedFields(origin: String, sequence: UInt64, payload: [UInt8]) -> [UInt8] {
        let originBytes = Array(origin.utf8)
        var out: [UInt8] = [UInt8(originBytes.count)] + originBytes
        withUnsafeBytes(of: sequence.littleEndian) { out += $0 }
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { out += $0 }
        return out + payload
    }

    /// Splits a received message, checking every length against the bytes present.
    static func parse(_ wire: [UInt8]) -> (Message, signed: ArraySlice<UInt8>, signature: ArraySlice<UInt8>)? {
        guard let originLength = wire.first.map(Int.init), originLength > 0 else { return nil }
        let sequenceStart = 1 + originLength, lengthStart = sequenceStart + 8, payloadStart = lengthStart + 4
        guard wire.count >= payloadStart + IdentityPublicKey.signatureByteCount else { return nil }
        let payloadLength = wire[lengthStart..<payloadStart].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard payloadLength <= maximumPayloadByteCount,
              wire.count == payloadStart + payloadLength + IdentityPublicKey.signatureByteCount,
              let origin = String(validating: wire[1..<sequenceStart], as: UTF8.self) else { return nil }
        let sequence = wire[sequenceStart..<lengthStart].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let signedEnd = payloadStart + payloadLength
        let signed = wire[0..<signedEnd]
        let message = Message(origin: origin, sequence: sequence, payload: Array(wire[payloadStart..<signedEnd]),
                              id: Blake2b.hash(signed, digestByteCount: 16))
        return (message, signed, wire[signedEnd...])
    }
}
