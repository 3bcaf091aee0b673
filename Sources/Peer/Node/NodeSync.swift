internal import Foundation
import Gossip
import Synchronization

/// Requests and replies of `SyncMessage` over transport channel 3: a request to a neighbour
/// waits for that neighbour's reply of the matching kind, up to a timeout; requests from
/// neighbours are answered by `serve`.
final class NodeSync: Sendable {
    static let channel: UInt8 = 3

    private let transport: Transport
    private let modelByteLimit: Int
    private let waiting = Mutex<[String: CheckedContinuation<SyncMessage?, Never>]>([:])
    private let server = Mutex<(@Sendable (SyncMessage) -> SyncMessage?)?>(nil)
    private let refuse: @Sendable (String) -> Void

    /// Takes channel 3 of `transport` (before it starts).
    /// - Parameters:
    ///   - modelByteLimit: the size of this federation's checkpoints; longer messages are refused
    ///     before they are reassembled.
    ///   - refuse: told of every malformed message.
    init(transport: Transport, modelByteLimit: Int, refuse: @escaping @Sendable (String) -> Void) {
        self.transport = transport
        self.modelByteLimit = modelByteLimit
        self.refuse = refuse
        let limit = modelByteLimit + 2 * SyncMessage.outcomeByteLimit
        transport.setHandler(channel: Self.channel, maximumMessageByteCount: limit) { [weak self] from, bytes in
            await self?.receive(bytes, from: from)
        }
    }

    /// Answers requests with `serve` (nil: no answer).
    func serve(_ serve: @escaping @Sendable (SyncMessage) -> SyncMessage?) {
        server.withLock { $0 = serve }
    }

    /// Sends `request` to `neighbour` and waits for its reply, nil after `timeout` or when the
    /// request cannot be sent.
    func ask(_ neighbour: String, _ request: SyncMessage, timeout: Duration) async -> SyncMessage? {
        guard let kind = request.replyKind else { return nil }
        let key = neighbour + "/" + String(kind)
        return await withCheckedContinuation { continuation in
            let earlier = waiting.withLock { $0.updateValue(continuation, forKey: key) }
            earlier?.resume(returning: nil)
            Task {
                do {
                    try await transport.send(request.encoded, channel: Self.channel, to: neighbour)
                    try await Task.sleep(for: timeout)
                } catch {}
                self.take(key)?.resume(returning: nil)
            }
        }
    }

    private func take(_ key: String) -> CheckedContinuation<SyncMessage?, Never>? {
        waiting.withLock { $0.removeValue(forKey: key) }
    }

    private func receive(_ bytes: [UInt8], from: String) async {
        let message: SyncMessage
        do {
            message = try SyncMessage.decode(bytes, modelByteLimit: modelByteLimit)
        } catch {
            refuse("sync message from \(from): \(error)")
            return
        }
        if message.replyKind == nil {
            take(from + "/" + String(bytes[0]))?.resume(returning: message)
        } else if let reply = server.withLock({ $0 })?(message) {
            try? await transport.send(reply.encoded, channel: Self.channel, to: from)
        }
    }
}
