/// Free TCP ports on loopback, for local federations, benchmarks and tests.
public enum LoopbackPorts {
    /// Ports are drawn below Linux's ephemeral range (32768 and up by default), which the
    /// kernel hands to outgoing connections and to binds of port 0: a port chosen here and
    /// bound a moment later is not taken meanwhile by a dialling transport.
    static let range: Range<UInt16> = 20_000..<32_768

    /// `count` distinct ports of `range` that are free now (each bound, then released).
    public static func free(_ count: Int) throws -> [UInt16] {
        var chosen: [UInt16] = []
        for _ in 0..<(100 * count) where chosen.count < count {
            let port = UInt16.random(in: range)
            if !chosen.contains(port), isFree(port) { chosen.append(port) }
        }
        guard chosen.count == count else { throw TransportError.timedOut("finding \(count) free loopback ports") }
        return chosen
    }

    /// Whether `port` can be listened on now.
    private static func isFree(_ port: UInt16) -> Bool {
        guard let socket = try? Socket.listen(on: PeerAddress(host: "127.0.0.1", port: port)) else { return false }
        socket.close()
        return true
    }
}
