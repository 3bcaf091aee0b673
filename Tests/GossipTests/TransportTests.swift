import Crypto
import Foundation
import Testing
@testable import Gossip

@Suite(.serialized) struct FloodingTests {
    @Test(arguments: [TopologyGenerator.Kind.line, .ring])
    func aFloodReachesEveryPeerExactlyOnce(kind: TopologyGenerator.Kind) async throws {
        let federation = try TestFederation(kind, peers: 5)
        try federation.startAll()
        defer { federation.stopAll() }
        #expect(await federation.waitUntilConnected())
        for origin in ["peer-1", "peer-3"] {
            let payload = Array("hello from \(origin)".utf8)
            let sent = await federation.overlay(origin).publish(payload)
            for peer in federation.topology.peers {
                let arrived = await federation.deliveries[peer.id]!.wait { $0.contains(sent) }
                #expect(arrived, "\(peer.id) did not get the flood from \(origin)")
            }
        }
        for peer in federation.topology.peers {
            let delivered = federation.deliveries[peer.id]!.values
            #expect(delivered.count == 2)
            #expect(Set(delivered.map(\.id)).count == 2)
        }
        if kind == .ring {
            // Each flood goes both ways round the ring and meets itself: copies are dropped.
            #expect(await eventually { federation.topology.peers.map { federation.overlay($0.id).counters.duplicates }.reduce(0, +) >= 2 })
        }
    }

    @Test func forgedOrUnknownOriginsAreRejected() async throws {
        let federation = try TestFederation(.line, peers: 3)
        try federation.startAll()
        defer { federation.stopAll() }
        #expect(await federation.waitUntilConnected())
        // peer-1 sends, straight over its link, a flood message claiming to come from peer-3.
        let signed = FloodOverlay.signedFields(origin: "peer-3", sequence: 1, payload: [1, 2, 3])
        let forged = signed + federation.identities["peer-1"]!.signature(for: FloodOverlay.context + federation.topology.federationID.bytes + signed)
        try await federation.transport("peer-1").send(forged, channel: FloodOverlay.channel, to: "peer-2")
        let outsider = FloodOverlay.signedFields(origin: "mallory", sequence: 1, payload: [1])
        try await federation.transport("peer-1").send(outsider + [UInt8](repeating: 0, count: 64), channel: FloodOverlay.channel, to: "peer-2")
        try await federation.transport("peer-1").send([200, 1, 2], channel: FloodOverlay.channel, to: "peer-2")
        #expect(await eventually { federation.overlay("peer-2").counters.rejected == 3 })
        #expect(federation.deliveries["peer-2"]!.values.isEmpty)
    }

    @Test func duplicatesAreDroppedBeforeVerificationAndForgeriesDoNotShadowTheGenuineMessage() async throws {
        let federation = try TestFederation(.line, peers: 3)
        try federation.startAll()
        defer { federation.stopAll() }
        #expect(await federation.waitUntilConnected())
        let signed = FloodOverlay.signedFields(origin: "peer-1", sequence: 1, payload: [4, 5, 6])
        let genuine = signed + federation.identities["peer-1"]!.signature(for: FloodOverlay.context + federation.topology.federationID.bytes + signed)
        var forged = genuine
        forged[forged.count - 1] ^= 1
        let id = Blake2b.hash(signed, digestByteCount: 16)
        let overlay = federation.overlay("peer-2"), link = federation.transport("peer-1")
        // A forged copy of a message not seen yet is rejected, and its id is not remembered...
        try await link.send(forged, channel: FloodOverlay.channel, to: "peer-2")
        #expect(await eventually { overlay.counters.rejected == 1 })
        // ...so the genuine message, with the same id, is still delivered and forwarded.
        try await link.send(genuine, channel: FloodOverlay.channel, to: "peer-2")
        for peer in ["peer-2", "peer-3"] {
            #expect(await federation.deliveries[peer]!.wait { $0.contains { $0.id == id } })
        }
        // Once verified, any copy of it is a duplicate, dropped without checking its signature.
        try await link.send(forged, channel: FloodOverlay.channel, to: "peer-2")
        try await link.send(genuine, channel: FloodOverlay.channel, to: "peer-2")
        #expect(await eventually { overlay.counters.duplicates == 2 })
        #expect(overlay.counters.rejected == 1 && overlay.counters.delivered == 1)
        #expect(federation.deliveries["peer-2"]!.values.filter { $0.id == id }.count == 1)
    }
}

/// Polls a cheap condition on the overlay counters (which have no event stream) with a deadline.
func eventually(timeout: Duration = .seconds(20), _ condition: @Sendable () -> Bool) async -> Bool {
    let clock = ContinuousClock(), deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        await Task.yield()
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

@Suite(.serialized) struct LargeMessageTests {
    @Test func aHundredMebibyteMessageArrivesIntact() async throws {
        let federation = try TestFederation(.line, peers: 2)
        try federation.startAll()
        defer { federation.stopAll() }
        #expect(await federation.waitUntilConnected())
        let received = Recorder<[UInt8]>()
        federation.transport("peer-2").setHandler(channel: 9) { _, bytes in received.append(Blake2b.hash(bytes) + [UInt8(bytes.count >> 20)]) }
        var generator = SeededGenerator(seed: 5)
        var message = [UInt8](repeating: 0, count: 100 << 20)
        for i in stride(from: 0, to: message.count, by: 8) {
            withUnsafeBytes(of: generator.next()) { bytes in for j in 0..<8 { message[i + j] = bytes[j] } }
        }
        let expected = Blake2b.hash(message) + [100]
        try await federation.transport("peer-1").send(message, channel: 9, to: "peer-2")
        #expect(await received.wait(timeout: .seconds(120)) { $0 == [expected] })
        let metrics = federation.transport("peer-1").metrics()
        #expect(metrics.first?.bytesSent ?? 0 > 100 << 20)
        #expect(metrics.first?.messagesSent == 1)
    }
}

@Suite(.serialized) struct DeliveryTests {
    /// A handler that is busy does not stop its connection from being read: while it holds the
    /// first message, the neighbour's heartbeats keep arriving (its last-heard age stays small
    /// well past when an unread connection would have gone quiet), and once it lets go, the
    /// messages behind it arrive in order.
    @Test func aBusyHandlerDoesNotStopTheConnectionBeingRead() async throws {
        let federation = try TestFederation(.line, peers: 2)
        try federation.startAll()
        defer { federation.stopAll() }
        #expect(await federation.waitUntilConnected())
        let received = Recorder<[UInt8]>()
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        federation.transport("peer-2").setHandler(channel: 9) { _, bytes in
            if bytes == [1] {
                start.yield()
                for await _ in released { break }
            }
            received.append(bytes)
        }
        for byte: UInt8 in [1, 2, 3] { try await federation.transport("peer-1").send([byte], channel: 9, to: "peer-2") }
        for await _ in started { break }
        let blocked = ContinuousClock.now
        // Heartbeats come every 100 ms: a connection left unread would be silent for as long as
        // the handler holds it.
        let heard = await eventually(timeout: .seconds(5)) { () -> Bool in
            guard ContinuousClock.now - blocked > .seconds(1.5) else { return false }
            let age = federation.transport("peer-2").metrics().first?.sinceLastHeard ?? .seconds(100)
            return age < .milliseconds(500)
        }
        #expect(heard, "heartbeats went on being read while the handler was busy")
        #expect(received.values.isEmpty)
        #expect(federation.transport("peer-2").metrics().first?.connectionCount == 1, "the connection was never replaced")
        release.yield()
        #expect(await received.wait(timeout: .seconds(20)) { $0.count == 3 })
        #expect(received.values == [[1], [2], [3]])
    }
}
