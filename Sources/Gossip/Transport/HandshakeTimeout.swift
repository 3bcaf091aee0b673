/// Runs `operation` (a handshake on `socket`), closing the socket if it takes longer than
/// `limit`: the pending read or write fails and the handshake ends.
/// - Throws: `TransportError.timedOut("handshake")` when the limit passed, otherwise the
///   operation's error.
func withHandshakeTimeout<Result: Sendable>(_ limit: Duration, closing socket: Socket,
                                            _ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
    let timer = Task { () -> Bool in
        do { try await Task.sleep(for: limit) } catch { return false }
        socket.close()
        return true
    }
    do {
        let result = try await operation()
        timer.cancel()
        return result
    } catch {
        timer.cancel()
        if await timer.value { throw TransportError.timedOut("handshake") }
        throw error
    }
}
