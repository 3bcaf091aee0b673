internal import Foundation
import Gossip
import Synchronization

/// Requests and replies of `SyncMessage` over transport channel 3: a request to a neighbour
/// waits for that neighbour's reply with the same id, up to a timeout; requests from
/// neighbours are answered by `serve`, from a task of their own (a checkpoint is model-sized,
/// and the connection's reading, heartbeats included, must go on meanwhile), one of each kind
/// at a time per neighbour.
final class NodeSync: Sendable {
    static let channel: UInt8 = 3

    private struct State {
        var nextID: UInt64 = 1
        var waiting: [UInt64: (neighbour: String, continuation: CheckedContinuation<SyncMessage?, Never>)] = [:]
        var answering: Set<String> = []
        var server: (@Sendable (SyncMessage) -> SyncMessage?)?
    }

    private let transport: Transport
    private let modelByteLimit: Int
    private let state = Mutex(State())
    private let refuse: @Sendable (_ peer: String, _ reason: String) -> Void

    /// Takes channel 3 of `transport` (before it starts).
    /// - Parameters:
    ///   - modelByteLimit: the size of this federation's checkpoints; longer messages are refused
    ///     before they are reassembled.
    ///   - refuse: told of every malformed or unexpected message, with its sender.
    init(transport: Transport, modelByteLimit: Int, refuse: @escaping @Sendable (_ peer: String, _ reason: String) -> Void) {
        self.transport = transport
        self.modelByteLimit = modelByteLimit
        self.refuse = refuse
        let limit = modelByteLimit + 2 * SyncMessage.outcomeByteLimit
        transport.setHandler(channel: Self.channel, maximumMessageByteCount: limit) { [weak self] from, bytes in
            self?.receive(bytes, from: from)
        }
    }

    /// Answers requests with `serve` (nil: no answer).
    func serve(_ serve: @escaping @Sendable (SyncMessage) -> SyncMessage?) {
        state.withLock { $0.server = serve }
    }

    /// Sends the request `make` builds with a fresh id to `neighbour` and waits for its reply,
    /// nil after `timeout` or when the request cannot be sent.
    func ask(_ neighbour: String, timeout: Duration, _ make: (UInt64) -> SyncMessage) async -> SyncMessage? {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let request = make(id)
        return await withCheckedContinuation { continuation in
            state.withLock { $0.waiting[id] = (neighbour, continuation) }
            Task {
                do {
                    try await transport.send(request.encoded, channel: Self.channel, to: neighbour)
                    try await Task.sleep(for: timeout)
                } catch {}
                self.take(id, from: neighbour)?.resume(returning: nil)
            }
        }
    }

    private func take(_ id: UInt64, from neighbour: String) -> CheckedContinuation<SyncMessage?, Never>? {
        state.withLock { state in
            guard state.waiting[id]?.neighbour == neighbour else { return nil }
            return state.waiting.removeValue(forKey: id)?.continuation
        }
    }

    private func receive(_ bytes: [UInt8], from: String) {
        let message: SyncMessage
        do {
            message = try SyncMessage.decode(bytes, modelByteLimit: modelByteLimit)
        } catch {
            refuse(from, "sync message from \(from): \(error)")
            return
        }
        guard message.isRequest else {
            if let waiter = take(message.id, from: from) { waiter.resume(returning: message) } else {
                refuse(from, "sync reply \(message.id) from \(from) that nothing waits for")
            }
            return
        }
        // One answer of each kind in flight per neighbour: a request while its like is being
        // answered is dropped (the asker's wait times out).
        let key = from + "/" + String(bytes[0])
        let server: (@Sendable (SyncMessage) -> SyncMessage?)? = state.withLock { state in
            guard let server = state.server, !state.answering.contains(key) else { return nil }
            state.answering.insert(key)
            return server
        }
        guard let server else { return }
        Task {
            if let reply = server(message) { try? await transport.send(reply.encoded, channel: Self.channel, to: from) }
            _ = state.withLock { $0.answering.remove(key) }
        }
    }
}
