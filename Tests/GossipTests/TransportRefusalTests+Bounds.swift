import Crypto
import Testing
@testable import Gossip

/// Bounded resources: neighbours and strangers cannot make the listener hold connections or
/// buffers beyond its limits.
extension TransportRefusalTests {
    /// Whether the other side closes `socket` before `limit` passes (it must send nothing).
    func isClosedByPeer(_ socket: Socket, within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    _ = try await socket.read(exactly: 1)
                    return false
                } catch {
                    return !(error is CancellationError)
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func connectionsBeyondThePendingHandshakeCapAreClosedAtOnce() async throws {
        var configuration = TestFederation.fastConfiguration
        configuration.maximumPendingHandshakes = 2
        // Far longer than the test: only the cap, never the timeout, can close a connection here.
        configuration.handshakeTimeout = .seconds(120)
        let federation = try await federation(configuration: configuration)
        defer { federation.stopAll() }
        let listener = federation.transport("peer-2")
        var silent = [try await Socket.connect(to: address(federation, "peer-2")), try await Socket.connect(to: address(federation, "peer-2"))]
        #expect(await eventually { listener.pendingHandshakeCount == 2 })
        let third = try await Socket.connect(to: address(federation, "peer-2"))
        #expect(await isClosedByPeer(third, within: .seconds(30)))
        await expectRefusal(federation, at: "peer-2", .tooManyPendingHandshakes(limit: 2))
        #expect(listener.pendingHandshakeCount == 2)
        // A slot freed by a closed connection is taken by the next, which completes.
        silent.removeFirst().close()
        #expect(await eventually { listener.pendingHandshakeCount == 1 })
        let connection = try await connectAsPeer1(federation)
        #expect(listener.pendingHandshakeCount == 1)
        connection.close()
        silent.removeFirst().close()
        #expect(await eventually { listener.pendingHandshakeCount == 0 })
        await expectHonestPeersWork(federation)
    }

    @Test func aClientThatNeverSendsItsStreamHeaderIsDroppedWithinTheHandshakeTimeout() async throws {
        var configuration = TestFederation.fastConfiguration
        configuration.handshakeTimeout = .seconds(3)
        let federation = try await federation(configuration: configuration)
        defer { federation.stopAll() }
        let started = ContinuousClock.now
        let socket = try await Socket.connect(to: address(federation, "peer-2"))
        _ = try await Handshake.runClient(on: socket, policy: policy(federation, as: "peer-1"), expectedPeer: federation.topology.peer("peer-2")!)
        _ = try await socket.read(exactly: SecretStream.headerByteCount)
        // The signed hellos are done and the listener's header is here; ours never goes out.
        #expect(await isClosedByPeer(socket, within: configuration.handshakeTimeout * 5))
        #expect(ContinuousClock.now - started >= configuration.handshakeTimeout - .milliseconds(50))
        #expect(!federation.events["peer-2"]!.values.contains(.connected(peer: "peer-1")))
        #expect(await eventually { federation.transport("peer-2").pendingHandshakeCount == 0 })
        await expectHonestPeersWork(federation)
    }

    @Test func aFloodChannelMessageBeyondTheFloodLimitClosesTheConnection() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let received = Recorder<Int>()
        federation.transport("peer-2").setHandler(channel: 9) { _, bytes in received.append(bytes.count) }
        let connection = try await connectAsPeer1(federation, maximumMessageByteCount: 4 << 20)
        let message = [UInt8](repeating: 0, count: FloodOverlay.maximumMessageByteCount + 1)
        // Other channels keep the configured maximum (1 GiB)...
        try await connection.send(message, channel: 9)
        #expect(await received.wait { $0 == [message.count] })
        // ...while the flooding channel refuses to hold more than its largest message.
        try await connection.send(message, channel: FloodOverlay.channel)
        await expectDisconnect(federation, mentioning: "a message on channel 1 longer than \(FloodOverlay.maximumMessageByteCount) bytes")
        #expect(federation.overlay("peer-2").counters.rejected == 0)
        await expectHonestPeersWork(federation)
    }

    @Test func aRegisteredChannelLimitBoundsReassemblyAcrossChunks() async throws {
        let federation = try await federation()
        defer { federation.stopAll() }
        let limit = SecureConnection.maximumChunkByteCount + 1
        let received = Recorder<Int>()
        federation.transport("peer-2").setHandler(channel: 9, maximumMessageByteCount: limit) { _, bytes in received.append(bytes.count) }
        let connection = try await connectAsPeer1(federation, maximumMessageByteCount: 2 * limit)
        try await connection.send([UInt8](repeating: 1, count: limit), channel: 9)
        #expect(await received.wait { $0 == [limit] })
        // Two chunks again, the first alone within the limit: the second takes the message past it.
        try await connection.send([UInt8](repeating: 2, count: limit + 1), channel: 9)
        await expectDisconnect(federation, mentioning: "a message on channel 9 longer than \(limit) bytes")
        #expect(received.values == [limit])
    }
}
