import Testing
@testable import Gossip

/// Descriptor ownership: a socket closed by one task while another still reads it keeps its
/// descriptor until released, so the number cannot be handed to a new socket meanwhile.
@Suite(.serialized) struct SocketTests {
    let loopback = PeerAddress(host: "127.0.0.1", port: 0)

    /// A connected pair on loopback: (dialled end, accepted end).
    func connectedPair(_ listener: Socket) async throws -> (Socket, Socket) {
        let client = try await Socket.connect(to: PeerAddress(host: "127.0.0.1", port: listener.localPort))
        return (client, try await listener.accept())
    }

    @Test func closingWhileAReadIsPendingNeverHandsTheDescriptorToANewSocket() async throws {
        let listener = try Socket.listen(on: loopback)
        let (client, server) = try await connectedPair(listener)
        let number = server.descriptor
        let pending = Task { try await server.read(exactly: 1) }
        server.close()
        // The kernel hands out the lowest free number: had close(2) run, the next socket would get it.
        let opened = try (0..<8).map { _ in try Socket.listen(on: loopback) }
        #expect(!opened.map(\.descriptor).contains(number))
        await #expect(throws: TransportError.closed) { try await pending.value }
        // The reader and the new sockets are unaffected by each other.
        let (newClient, newServer) = try await connectedPair(opened[0])
        try await newClient.write([42])
        #expect(try await newServer.read(exactly: 1) == [42])
        await #expect(throws: TransportError.closed) { try await client.read(exactly: 1) }
    }

    @Test func aClosedSocketFailsReadsAndWritesWithClosed() async throws {
        let listener = try Socket.listen(on: loopback)
        let (client, server) = try await connectedPair(listener)
        client.close()
        client.close()
        await #expect(throws: TransportError.closed) { try await client.write([1]) }
        await #expect(throws: TransportError.closed) { try await client.read(exactly: 1) }
        await #expect(throws: TransportError.closed) { try await server.read(exactly: 1) }
        listener.close()
        await #expect(throws: TransportError.closed) { try await listener.accept() }
    }
}
