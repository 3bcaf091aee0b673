import Crypto
import Gossip
internal import Foundation
import Synchronization

/// Measurements of this host's transport: raw TCP on loopback, raw secretstream sealing, and
/// one encrypted channel between two transports, each moving the same number of bytes.
enum TransportBenchmark {
    /// Bytes per write or message.
    static let chunkByteCount = 16 << 20

    /// Seconds to seal `byteCount` bytes with `crypto_secretstream_xchacha20poly1305_push` in 16 MiB messages.
    static func secretStreamSeconds(byteCount: Int) throws -> Double {
        let pusher = try SecretStreamPusher(key: SecureBytes(randomCount: SecretStream.keyByteCount))
        let chunk = [UInt8](repeating: 0x5a, count: chunkByteCount)
        return try measure {
            var done = 0
            while done < byteCount {
                _ = try pusher.push(chunk[0..<min(chunkByteCount, byteCount - done)])
                done += chunkByteCount
            }
        }
    }

    /// Seconds to move `byteCount` bytes over one plain TCP connection on loopback.
    static func rawTCPSeconds(byteCount: Int) async throws -> Double {
        let listener = try Socket.listen(on: PeerAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let port = listener.localPort
        let chunk = [UInt8](repeating: 0x5a, count: chunkByteCount)
        let start = ContinuousClock.now
        async let received: Int = {
            let server = try await listener.accept()
            defer { server.close() }
            var total = 0
            while total < byteCount { total += try await server.read(exactly: min(chunkByteCount, byteCount - total)).count }
            return total
        }()
        let client = try await Socket.connect(to: PeerAddress(host: "127.0.0.1", port: port))
        defer { client.close() }
        var sent = 0
        while sent < byteCount {
            let count = min(chunkByteCount, byteCount - sent)
            try await client.write(count == chunkByteCount ? chunk : Array(chunk[0..<count]))
            sent += count
        }
        _ = try await received
        return (ContinuousClock.now - start) / .seconds(1)
    }

    /// Seconds to move `byteCount` bytes as 16 MiB messages from one transport to its neighbour.
    static func channelSeconds(byteCount: Int) async throws -> Double {
        let keys = [IdentityKey(), IdentityKey()]
        let ports = try LoopbackPorts.free(2)
        let peers = (0..<2).map {
            Topology.Peer(id: "bench-\($0 + 1)", address: PeerAddress(host: "127.0.0.1", port: ports[$0]), status: nil, key: keys[$0].publicKey)
        }
        let text = TopologyWriter.text(name: "bench", peers: peers, links: [Topology.Link("bench-1", "bench-2")],
                                       aggregation: .defaults(peerCount: 2), training: .defaults)
        let topology = try TopologyParser.parse(Array(text.utf8), file: "bench")
        let sender = try Transport(topology: topology, localID: "bench-1", identity: keys[0])
        let receiver = try Transport(topology: topology, localID: "bench-2", identity: keys[1])
        defer { sender.stop(); receiver.stop() }
        let (arrivals, arrived) = AsyncStream.makeStream(of: Int.self)
        receiver.setHandler(channel: 2) { _, bytes in arrived.yield(bytes.count) }
        let senderEvents = sender.events(), receiverEvents = receiver.events()
        try receiver.start()
        try sender.start()
        for await event in senderEvents where event == .connected(peer: "bench-2") { break }
        for await event in receiverEvents where event == .connected(peer: "bench-1") { break }
        let chunk = [UInt8](repeating: 0x5a, count: chunkByteCount)
        let start = ContinuousClock.now
        async let total: Int = {
            var total = 0
            for await count in arrivals {
                total += count
                if total >= byteCount { break }
            }
            return total
        }()
        var sent = 0
        while sent < byteCount {
            let count = min(chunkByteCount, byteCount - sent)
            try await sender.send(count == chunkByteCount ? chunk : Array(chunk[0..<count]), channel: 2, to: "bench-2")
            sent += count
        }
        _ = await total
        return (ContinuousClock.now - start) / .seconds(1)
    }

    private static func measure(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        return (ContinuousClock.now - start) / .seconds(1)
    }

}
