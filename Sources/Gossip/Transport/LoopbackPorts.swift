/// Free TCP ports on loopback, for local federations, benchmarks and tests.
public enum LoopbackPorts {
    /// `count` distinct ports that the kernel reports free now (bound to port 0, then released).
    public static func free(_ count: Int) throws -> [UInt16] {
        let sockets = try (0..<count).map { _ in try Socket.listen(on: PeerAddress(host: "127.0.0.1", port: 0)) }
        defer { sockets.forEach { $0.close() } }
        return sockets.map(\.localPort)
    }
}
