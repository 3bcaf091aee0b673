import Gossip
import Peer

/// The baseline that secure aggregation is measured against: the same tree, float vectors in
/// the clear, summed up to the root and sent back down. Transport channel 3.
final class PlainTreeSum: Sendable {
    static let channel: UInt8 = 3

    private let transport: Transport
    private let incoming: AsyncStream<(from: String, bytes: [UInt8])>

    init(transport: Transport) {
        self.transport = transport
        let (stream, continuation) = AsyncStream.makeStream(of: (from: String, bytes: [UInt8]).self)
        incoming = stream
        transport.setHandler(channel: Self.channel) { from, bytes in continuation.yield((from, bytes)) }
    }

    /// Sums `input` over every member of `tree`; returns the total.
    func run(_ input: [Float], tree: RoundStructure.Tree) async throws -> [Float] {
        let me = transport.localID
        let children = tree.children[me] ?? []
        var sum = input, iterator = incoming.makeAsyncIterator()
        for _ in children {
            guard let (_, bytes) = await iterator.next() else { throw TransportError.stopped }
            bytes.withUnsafeBytes { raw in
                let values = raw.bindMemory(to: Float.self)
                for i in sum.indices { sum[i] += values[i] }
            }
        }
        var total = sum
        if let parent = tree.parent[me] {
            try await transport.send(sum.withUnsafeBytes { Array($0) }, channel: Self.channel, to: parent)
            guard let (_, bytes) = await iterator.next() else { throw TransportError.stopped }
            total = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let down = total.withUnsafeBytes { Array($0) }
        for child in children { try await transport.send(down, channel: Self.channel, to: child) }
        return total
    }
}
