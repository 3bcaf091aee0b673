import Crypto
import Foundation
import Testing
@testable import Gossip

/// Hostile and broken connections: each is refused or dropped, and honest peers keep working.
@Suite(.serialized) struct TransportRefusalTests {
    /// A line of three where peer-1 is not started, so the test can act as peer-1 (or anyone).
    func federation(configuration: TransportConfiguration = TestFederation.fastConfiguration) async throws -> TestFederation {
        let federation = try TestFederation(.line, peers: 3, configuration: configuration)
        try federation.start("peer-2")
        try federation.start("peer-3")
        let linked = await federation.events["peer-2"]!.wait { $0.contains(.connected(peer: "peer-3")) }
        let linkedBack = await federation.events["peer-3"]!.wait { $0.contains(.connected(peer: "peer-2")) }
        #expect(linked && linkedBack)
        return federation
    }

    func policy(_ federation: TestFederation, as id: String, identity: IdentityKey? = nil, topology: Topology? = nil) -> Handshake.Policy {
        let topology = topology ?? federation.topology
        return Handshake.Policy(federation: topology.federationID, localID: id, identity: identity ?? federation.identities[id]!,
                                topology: topology, replayGuard: ReplayGuard())
    }

    func address(_ federation: TestFederation, _ id: String) -> PeerAddress { federation.topology.peer(id)!.address }

    func expectRefusal(_ federation: TestFederation, at peer: String, _ reason: RefusalReason) async {
        let seen = await federation.events[peer]!.wait { $0.contains(.refused(reason)) }
        #expect(seen, "expected \(peer) to refuse: \(reason); saw \(federation.events[peer]!.values)")
    }

    /// After any refusal, a flood between the honest peers still goes through.
    func expectHonestPeersWork(_ federation: TestFederation) async {
        let sent = await federation.overlay("peer-3").publish(Array("still here".utf8))
        #expect(await federation.deliveries["peer-2"]!.wait { $0.contains(sent) })
    }

    @Test func unknownKeyIsRefused() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let outsider = IdentityKey()
        let socket = try await Socket.connect(to: address(federation, "peer-2"))
        await #expect(throws: (any Error).self) {
            try await Handshake.runClient(on: socket, policy: policy(federation, as: "peer-1", identity: outsider),
                                          expectedPeer: federation.topology.peer("peer-2")!)
        }
        await expectRefusal(federation, at: "peer-2", .unknownKey(outsider.publicKey.text))
        await expectHonestPeersWork(federation)
    }

    @Test func wrongFederationIsRefusedNamingBothIDs() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        // The same peers and keys under another file: another federation id.
        let keys = federation.topology.peers.map { federation.identities[$0.id]! }
        let otherText = TopologyWriter.text(name: "other", peers: federation.topology.peers, links: federation.topology.links,
                                            aggregation: federation.topology.aggregation, training: federation.topology.training)
        let other = try TopologyParser.parse(Array(otherText.utf8), file: "other")
        #expect(other.federationID != federation.topology.federationID && keys.count == 3)
        let socket = try await Socket.connect(to: address(federation, "peer-2"))
        await #expect(throws: (any Error).self) {
            try await Handshake.runClient(on: socket, policy: policy(federation, as: "peer-1", topology: other),
                                          expectedPeer: federation.topology.peer("peer-2")!)
        }
        await expectRefusal(federation, at: "peer-2",
                            .wrongFederation(ours: federation.topology.federationID.short, theirs: other.federationID.short))
        await expectHonestPeersWork(federation)
    }

    @Test func nonNeighbourIsRefused() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let socket = try await Socket.connect(to: address(federation, "peer-3"))
        await #expect(throws: (any Error).self) {
            try await Handshake.runClient(on: socket, policy: policy(federation, as: "peer-1"), expectedPeer: federation.topology.peer("peer-3")!)
        }
        await expectRefusal(federation, at: "peer-3", .notNeighbour(peer: "peer-1"))
        await expectHonestPeersWork(federation)
    }

    @Test func badFinishSignatureIsRefused() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let socket = try await Socket.connect(to: address(federation, "peer-2"))
        let hello = Handshake.Hello(federation: federation.topology.federationID.bytes, key: federation.identities["peer-1"]!.publicKey,
                                    ephemeral: X25519KeyPair().publicKey)
        try await socket.write(hello.bytes)
        _ = try await socket.read(exactly: Handshake.serverHelloByteCount)
        try await socket.write([UInt8](repeating: 7, count: Handshake.finishByteCount))
        await expectRefusal(federation, at: "peer-2", .badSignature(peer: "peer-1"))
        await expectHonestPeersWork(federation)
    }

    @Test func replayedHelloIsRefused() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let hello = Handshake.Hello(federation: federation.topology.federationID.bytes, key: federation.identities["peer-1"]!.publicKey,
                                    ephemeral: X25519KeyPair().publicKey)
        let first = try await Socket.connect(to: address(federation, "peer-2"))
        try await first.write(hello.bytes)
        _ = try await first.read(exactly: Handshake.serverHelloByteCount)
        first.close()
        let second = try await Socket.connect(to: address(federation, "peer-2"))
        try await second.write(hello.bytes)
        await expectRefusal(federation, at: "peer-2", .replayedHello(peer: "peer-1"))
        await expectHonestPeersWork(federation)
    }

    @Test func garbageInsteadOfAHelloIsRefused() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let socket = try await Socket.connect(to: address(federation, "peer-2"))
        try await socket.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [UInt8](repeating: 0x41, count: 80))
        await expectRefusal(federation, at: "peer-2", .malformedHello("not a hello of this protocol (wrong magic or length)"))
        await expectHonestPeersWork(federation)
    }

    /// Acts as peer-1 through a real handshake, then misbehaves on the encrypted channel.
    func connectAsPeer1(_ federation: TestFederation, maximumMessageByteCount: Int = 1 << 20) async throws -> SecureConnection {
        let socket = try await Socket.connect(to: address(federation, "peer-2"))
        let result = try await Handshake.runClient(on: socket, policy: policy(federation, as: "peer-1"),
                                                   expectedPeer: federation.topology.peer("peer-2")!)
        let connection = try await SecureConnection.establish(on: socket, handshake: result, maximumMessageByteCount: maximumMessageByteCount)
        #expect(await federation.events["peer-2"]!.wait { $0.contains(.connected(peer: "peer-1")) })
        return connection
    }

    func expectDisconnect(_ federation: TestFederation, mentioning text: String) async {
        let seen = await federation.events["peer-2"]!.wait { events in
            events.contains { event in
                if case .disconnected("peer-1", let reason) = event { return reason.contains(text) }
                return false
            }
        }
        #expect(seen, "peer-2 should drop peer-1 for '\(text)'; saw \(federation.events["peer-2"]!.values)")
    }

    @Test func tamperedFrameClosesOnlyThatConnection() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let received = Recorder<[UInt8]>()
        federation.transport("peer-2").setHandler(channel: 7) { _, bytes in received.append(bytes) }
        let connection = try await connectAsPeer1(federation)
        try await connection.send([1, 2, 3], channel: 7)
        #expect(await received.wait { $0 == [[1, 2, 3]] })
        // A well-formed length and a sealed frame with one flipped byte.
        let sealed = try SecretStreamPusher(key: SecureBytes(randomCount: 32)).push([7, 0, 9, 9])
        var frame: [UInt8] = [0, 0, 0, UInt8(sealed.count)] + sealed
        frame[10] ^= 1
        try await connection.socket.write(frame)
        await expectDisconnect(federation, mentioning: "authentication")
        #expect(received.values == [[1, 2, 3]])
        await expectHonestPeersWork(federation)
    }

    @Test func oversizedLengthPrefixClosesBeforeAllocating() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let connection = try await connectAsPeer1(federation)
        try await connection.socket.write([0xFF, 0xFF, 0xFF, 0xF0])
        await expectDisconnect(federation, mentioning: "frame length 4294967280")
        await expectHonestPeersWork(federation)
    }

    @Test func silentNeighbourIsSuspected() async throws {
        var configuration = TestFederation.fastConfiguration
        configuration.suspectTimeout = .milliseconds(800)
        let federation = try await federation(configuration: configuration)
        defer { federation.stopAll() }
        let connection = try await connectAsPeer1(federation)
        let started = ContinuousClock.now
        #expect(await federation.events["peer-2"]!.wait { $0.contains(.suspected(peer: "peer-1")) })
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= federation.configuration.suspectTimeout - .milliseconds(50))
        #expect(elapsed < federation.configuration.suspectTimeout * 4)
        connection.close()
        await expectHonestPeersWork(federation)
    }
}

@Suite(.serialized) struct FailureDetectionTests {
    @Test func neighboursNoticeAStoppedPeerAndReconnectWhenItIsBack() async throws {
        let federation = try TestFederation(.line, peers: 3)
        try federation.startAll()
        defer { federation.stopAll() }
        #expect(await federation.waitUntilConnected())
        federation.stop("peer-2")
        for neighbour in ["peer-1", "peer-3"] {
            let down = await federation.events[neighbour]!.wait(timeout: federation.configuration.suspectTimeout * 3) { events in
                events.contains { if case .disconnected("peer-2", _) = $0 { return true } else { return false } }
                    || events.contains(.suspected(peer: "peer-2"))
            }
            #expect(down, "\(neighbour) did not notice peer-2 going down")
            #expect(!federation.transport(neighbour).connectedNeighbours.contains("peer-2"))
        }
        try federation.start("peer-2")
        for neighbour in ["peer-1", "peer-3"] {
            #expect(await federation.events[neighbour]!.wait { $0.filter { $0 == .connected(peer: "peer-2") }.count == 2 })
        }
        let sent = await federation.overlay("peer-1").publish([42])
        #expect(await federation.deliveries["peer-3"]!.wait { $0.contains(sent) })
        let metrics = federation.transport("peer-1").metrics()
        #expect(metrics.map(\.peer) == ["peer-2"])
        #expect(metrics[0].connectionCount == 2 && metrics[0].isConnected && metrics[0].bytesSent > 0 && metrics[0].messagesSent >= 1)
    }
}
