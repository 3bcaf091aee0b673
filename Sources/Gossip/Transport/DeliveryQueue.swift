import Synchronization

/// The messages of one connection on their way to their handlers: handed over in the order they
/// arrived, one at a time, by a task of their own, so that the connection goes on being read
/// (heartbeats included) while a handler works or sends a model-sized answer. At most
/// `byteLimit` bytes wait (plus the message that passed it); beyond that the reader waits for
/// the handlers to catch up.
final class DeliveryQueue: Sendable {
    /// One message and its receiver.
    struct Item: Sendable {
        let handler: Transport.Handler
        let peer: String
        let bytes: [UInt8]
    }

    private struct State {
        var items: [Item] = []
        var head = 0
        var bytes = 0
        var finished = false
        var consumer: CheckedContinuation<Item?, Never>?
        var producer: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let byteLimit: Int

    init(byteLimit: Int) {
        self.byteLimit = byteLimit
    }

    /// Queues `item`; returns at once unless more than `byteLimit` bytes wait, then once the
    /// handlers have brought them under it (or the queue is finished).
    func push(_ item: Item) async {
        let full: Bool = state.withLock { state in
            if let consumer = state.consumer {
                state.consumer = nil
                consumer.resume(returning: item)
                return false
            }
            state.items.append(item)
            state.bytes += item.bytes.count
            return state.bytes > byteLimit
        }
        guard full else { return }
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state in
                guard state.bytes > byteLimit, !state.finished else { return true }
                state.producer = continuation
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    /// The next message, or nil once the queue is finished and empty.
    func next() async -> Item? {
        await withCheckedContinuation { continuation in
            let ready: Item?? = state.withLock { state in
                if state.head < state.items.count {
                    let item = state.items[state.head]
                    state.head += 1
                    state.bytes -= item.bytes.count
                    if state.head == state.items.count {
                        state.items.removeAll(keepingCapacity: true)
                        state.head = 0
                    }
                    if state.bytes <= byteLimit, let producer = state.producer {
                        state.producer = nil
                        producer.resume()
                    }
                    return .some(item)
                }
                if state.finished { return .some(nil) }
                state.consumer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// No more messages come; those queued are still handed over.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.consumer?.resume(returning: nil)
            state.consumer = nil
            state.producer?.resume()
            state.producer = nil
        }
    }

    /// Hands every message to its handler until the queue is finished and empty.
    func deliver() async {
        while let item = await next() { await item.handler(item.peer, item.bytes) }
    }
}
