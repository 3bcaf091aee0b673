internal import Foundation
internal import Glibc
import Synchronization

/// A non-blocking TCP socket whose waits go through the `SocketEventLoop`.
///
/// The socket is the only owner of its descriptor: `close()`, which any task may call, only
/// shuts the connection down (waking every read, write and wait on it), and the descriptor is
/// closed when the socket is released. Every task using a socket holds it, so the descriptor
/// number cannot be reused while a read, write or poll of this socket is still in flight.
public final class Socket: Sendable {
    /// The descriptor, open for as long as the socket exists.
    let descriptor: Int32
    private let shutDown = Atomic<Bool>(false)
    private let loop: SocketEventLoop

    private init(descriptor: Int32, loop: SocketEventLoop = .shared) throws(TransportError) {
        self.descriptor = descriptor
        self.loop = loop
        let flags = try SystemCall.checked("fcntl(F_GETFL)") { fcntl(descriptor, F_GETFL) }
        try SystemCall.checked("fcntl(F_SETFL)") { fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        Glibc.close(descriptor)
    }

    /// Whether `close()` was called.
    public var isClosed: Bool { shutDown.load(ordering: .acquiring) }

    // MARK: - Opening

    /// A listening socket bound to `address` (port 0 picks a free port).
    public static func listen(on address: PeerAddress, backlog: Int32 = 64) throws(TransportError) -> Socket {
        let resolved = try SocketAddress.resolve(address)
        let descriptor = try SystemCall.checked("socket") { Glibc.socket(resolved.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let socket = try Socket(descriptor: descriptor)
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        try resolved.withSockaddr { (pointer, length) throws(TransportError) in
            try SystemCall.checked("bind \(address)") { bind(descriptor, pointer, length) }
        }
        try SystemCall.checked("listen") { Glibc.listen(descriptor, backlog) }
        return socket
    }

    /// Connects to `address`, waiting without blocking a thread.
    public static func connect(to address: PeerAddress) async throws -> Socket {
        let resolved = try SocketAddress.resolve(address)
        let descriptor = try SystemCall.checked("socket") { Glibc.socket(resolved.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        let socket = try Socket(descriptor: descriptor)
        let outcome = try resolved.withSockaddr { (pointer, length) throws(TransportError) in
            try SystemCall.run("connect \(address)") { Glibc.connect(descriptor, pointer, length) }
        }
        if case .wouldBlock = outcome {
            try await socket.loop.wait(for: descriptor, .write)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { throw TransportError.system(call: "connect \(address)", errno: error) }
        }
        return socket
    }

    /// The local port (after binding to port 0).
    public var localPort: UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// Accepts the next connection.
    public func accept() async throws -> Socket {
        while true {
            let outcome = try whileOpen { try SystemCall.run("accept") { Glibc.accept(descriptor, nil, nil) } }
            if case .done(let client) = outcome {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                return try Socket(descriptor: client)
            }
            try await loop.wait(for: descriptor, .read)
        }
    }

    // MARK: - Reading and writing

    /// Reads exactly `count` bytes.
    /// - Throws: `TransportError.closed` at end of file.
    public func read(exactly count: Int) async throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let outcome = try whileOpen {
                try buffer.withUnsafeMutableBytes { bytes throws(TransportError) in
                    try SystemCall.run("read") { Glibc.read(descriptor, bytes.baseAddress! + filled, count - filled) }
                }
            }
            switch outcome {
            case .done(0): throw TransportError.closed
            case .done(let n): filled += n
            case .wouldBlock: try await loop.wait(for: descriptor, .read)
            }
        }
        return buffer
    }

    /// Reads what is there, up to `maximum` bytes, waiting until something is.
    /// - Throws: `TransportError.closed` at end of file.
    public func read(upTo maximum: Int) async throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let outcome = try whileOpen {
                try buffer.withUnsafeMutableBytes { bytes throws(TransportError) in
                    try SystemCall.run("read") { Glibc.read(descriptor, bytes.baseAddress!, maximum) }
                }
            }
            switch outcome {
            case .done(0): throw TransportError.closed
            case .done(let n): return Array(buffer[..<n])
            case .wouldBlock: try await loop.wait(for: descriptor, .read)
            }
        }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) async throws {
        var written = 0
        while written < bytes.count {
            let outcome = try whileOpen {
                try bytes.withUnsafeBytes { buffer throws(TransportError) in
                    try SystemCall.run("send") { Glibc.send(descriptor, buffer.baseAddress! + written, bytes.count - written, Int32(MSG_NOSIGNAL)) }
                }
            }
            switch outcome {
            case .done(let n): written += n
            case .wouldBlock: try await loop.wait(for: descriptor, .write)
            }
        }
    }

    /// Shuts the connection down in both directions and wakes its waiters, which then fail with
    /// `TransportError.closed`; safe to call twice and from any task. The descriptor stays open
    /// (and its number taken) until the socket is released.
    public func close() {
        guard shutDown.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
        loop.forget(descriptor)
    }

    /// Ends the sending direction (the other end reads end of file) and keeps reading open.
    func shutdownWrite() {
        guard !isClosed else { return }
        Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Runs one call on the descriptor unless the socket is closed; a failure after `close()`
    /// (EPIPE from `send`, EINVAL from `accept`) is `TransportError.closed`.
    private func whileOpen<Value>(_ call: () throws -> SystemCall.Outcome<Value>) throws -> SystemCall.Outcome<Value> {
        guard !isClosed else { throw TransportError.closed }
        do {
            return try call()
        } catch {
            throw isClosed ? TransportError.closed : error
        }
    }
}

/// A resolved socket address.
struct SocketAddress {
    let family: Int32
    private let storage: sockaddr_storage
    private let length: socklen_t

    /// Resolves `address` (numeric first, then getaddrinfo).
    static func resolve(_ address: PeerAddress) throws(TransportError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &result)
        guard status == 0, let first = result else {
            throw .resolution(host: address.host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { destination in
            destination.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return SocketAddress(family: first.pointee.ai_family, storage: storage, length: first.pointee.ai_addrlen)
    }

    @discardableResult
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(TransportError) -> Result) throws(TransportError) -> Result {
        var copy = storage
        return try withUnsafePointer(to: &copy) { (pointer) throws(TransportError) -> Result in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(TransportError) -> Result in try body(address, length) }
        }
    }
}
