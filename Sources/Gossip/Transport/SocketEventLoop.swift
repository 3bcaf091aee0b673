internal import Foundation
internal import Glibc
import Synchronization

/// Readiness of non-blocking descriptors, bridged to Swift concurrency.
///
/// One dedicated thread blocks in `poll` (never the cooperative pool) and resumes the tasks
/// waiting for a descriptor to become readable or writable. A new wait wakes the thread
/// through a pipe so that it polls the new descriptor set. `poll` suits a peer's few dozen
/// connections; Glibc's module map has no epoll.
final class SocketEventLoop: Sendable {
    /// The loop the whole process shares: one thread.
    static let shared = SocketEventLoop()

    enum Direction: Sendable {
        case read, write
    }

    private struct Waiters {
        var read: CheckedContinuation<Void, any Error>?
        var write: CheckedContinuation<Void, any Error>?
    }

    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let waiters = Mutex<[Int32: Waiters]>([:])

    private init() {
        var ends: [Int32] = [0, 0]
        precondition(pipe(&ends) == 0, "pipe failed: errno \(errno)")
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        let thread = Thread { [self] in run() }
        thread.name = "socket-event-loop"
        thread.start()
    }

    /// Suspends until `descriptor` is ready in `direction`; throws `CancellationError` when the
    /// task is cancelled and `TransportError.closed` when the descriptor is `forget`-ten.
    func wait(for descriptor: Int32, _ direction: Direction) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let failure: (any Error)? = waiters.withLock { table in
                    if Task.isCancelled { return CancellationError() }
                    var entry = table[descriptor] ?? Waiters()
                    switch direction {
                    case .read:
                        guard entry.read == nil else { return TransportError.protocolViolation("two readers on one socket") }
                        entry.read = continuation
                    case .write:
                        guard entry.write == nil else { return TransportError.protocolViolation("two writers on one socket") }
                        entry.write = continuation
                    }
                    table[descriptor] = entry
                    return nil
                }
                if let failure { continuation.resume(throwing: failure) } else { wakeUp() }
            }
        } onCancel: {
            take(descriptor, direction)?.resume(throwing: CancellationError())
        }
    }

    /// Wakes every waiter of `descriptor` with `TransportError.closed`; its socket calls this
    /// when it shuts down. Waiters are keyed by descriptor number, which is unique while a
    /// socket exists: a socket closes its descriptor only when released, once nothing waits.
    func forget(_ descriptor: Int32) {
        let entry = waiters.withLock { table in table.removeValue(forKey: descriptor) }
        entry?.read?.resume(throwing: TransportError.closed)
        entry?.write?.resume(throwing: TransportError.closed)
        wakeUp()
    }

    // MARK: - Internals

    private func wakeUp() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1) // a full pipe already means "wake up"
    }

    private func take(_ descriptor: Int32, _ direction: Direction) -> CheckedContinuation<Void, any Error>? {
        waiters.withLock { table in
            guard var entry = table[descriptor] else { return nil }
            let taken: CheckedContinuation<Void, any Error>?
            switch direction {
            case .read: taken = entry.read; entry.read = nil
            case .write: taken = entry.write; entry.write = nil
            }
            table[descriptor] = entry.read == nil && entry.write == nil ? nil : entry
            return taken
        }
    }

    /// Polls for ever. The descriptor list is one buffer, refilled each time: the loop turns
    /// over for every wait, and allocates only when the list outgrows it.
    private func run() {
        var drain = [UInt8](repeating: 0, count: 256)
        var descriptors: [pollfd] = []
        descriptors.reserveCapacity(64)
        while true {
            descriptors.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            waiters.withLock { table in
                for (descriptor, entry) in table {
                    var events: Int16 = 0
                    if entry.read != nil { events |= Int16(POLLIN) }
                    if entry.write != nil { events |= Int16(POLLOUT) }
                    descriptors.append(pollfd(fd: descriptor, events: events, revents: 0))
                }
            }
            let count = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), -1) }
            if count < 0 {
                if errno == EINTR { continue }
                fatalError("poll failed: errno \(errno)")
            }
            if descriptors[0].revents != 0 { while read(wakeRead, &drain, drain.count) > 0 {} }
            for index in 1..<descriptors.count where descriptors[index].revents != 0 {
                let entry = descriptors[index]
                let problem = entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
                // Waiters retry their call, which reports the actual error or end of file. A
                // descriptor closed and reused while `poll` ran at most wakes its new waiter early.
                if entry.revents & Int16(POLLIN) != 0 || problem { take(entry.fd, .read)?.resume() }
                if entry.revents & Int16(POLLOUT) != 0 || problem { take(entry.fd, .write)?.resume() }
            }
        }
    }
}
