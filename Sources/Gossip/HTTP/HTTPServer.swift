internal import Foundation
import Synchronization

/// A small HTTP/1.1 server for a peer's status endpoint, on the transport's sockets and event
/// loop. One request per connection (answered with `Connection: close`), GET and HEAD only;
/// the request line and headers are bounded, must arrive within a read timeout, and only so
/// many connections are served at once (others get 503).
public final class HTTPServer: Sendable {
    /// A request as the handler sees it.
    public struct Request: Sendable {
        public let method: String
        /// The path without the query.
        public let path: String
        public let query: String?
    }

    /// What the handler answers.
    public struct Response: Sendable {
        public let status: Int
        public let contentType: String
        public let body: [UInt8]

        public init(status: Int, contentType: String, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        /// A plain-text response.
        public static func text(_ status: Int, _ text: String) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
        }
    }

    /// Bounds on what a client may make the server hold.
    public struct Limits: Sendable {
        /// Bytes of request line and headers together.
        public var requestBytes = 8192
        /// Time for the whole request to arrive.
        public var readTimeout: Duration = .seconds(5)
        /// Connections served at once.
        public var connections = 32

        public init() {}
    }

    public let address: PeerAddress
    private let limits: Limits
    private let state = Mutex<(listener: Socket?, active: Int, accept: Task<Void, Never>?)>((nil, 0, nil))

    public init(address: PeerAddress, limits: Limits = .init()) {
        self.address = address
        self.limits = limits
    }

    /// Connections being served now.
    var activeConnectionCount: Int { state.withLock { $0.active } }

    /// The bound port (after `start`; useful with port 0).
    public var port: UInt16? { state.withLock { $0.listener?.localPort } }

    /// Binds and serves with `handler` until `stop`.
    /// - Throws: `TransportError` when the address cannot be bound.
    public func start(_ handler: @escaping @Sendable (Request) -> Response) throws(TransportError) {
        let listener = try Socket.listen(on: address)
        state.withLock { $0.listener = listener }
        let task = Task { [self] in
            while true {
                let client: Socket
                do {
                    client = try await listener.accept()
                } catch {
                    // Closed by stop(); otherwise out of descriptors or an aborted connection:
                    // the endpoint keeps serving once that passes.
                    if listener.isClosed || Task.isCancelled { return }
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                let admitted = state.withLock { state in
                    guard state.active < limits.connections else { return false }
                    state.active += 1
                    return true
                }
                Task {
                    defer { client.close() }
                    guard admitted else {
                        await Self.refuse(client, .text(503, "too many status connections\n"), drainingFor: .milliseconds(200))
                        return
                    }
                    defer { self.state.withLock { $0.active -= 1 } }
                    await serve(client, handler)
                }
            }
        }
        state.withLock { $0.accept = task }
    }

    /// Stops accepting; connections in progress finish on their own.
    public func stop() {
        let (listener, task) = state.withLock { ($0.listener, $0.accept) }
        listener?.close()
        task?.cancel()
    }

    private func serve(_ client: Socket, _ handler: @Sendable (Request) -> Response) async {
        // The timer shuts the connection down when the request is late.
        let timer = Task { [limits] in
            try? await Task.sleep(for: limits.readTimeout)
            if !Task.isCancelled { client.close() }
        }
        defer { timer.cancel() }
        var received: [UInt8] = []
        while received.count <= limits.requestBytes, Self.headerEnd(received) == nil {
            guard let more = try? await client.read(upTo: limits.requestBytes + 1 - received.count) else { return }
            received += more
        }
        guard Self.headerEnd(received) != nil else {
            await Self.refuse(client, .text(431, "request line and headers exceed \(limits.requestBytes) bytes\n"), drainingFor: nil)
            return
        }
        guard let request = Self.parse(received) else {
            try? await client.write(Self.encode(.text(400, "malformed request\n"), head: false))
            return
        }
        let response: Response
        if request.method == "GET" || request.method == "HEAD" {
            response = handler(request)
        } else {
            response = .text(405, "only GET and HEAD are served\n")
        }
        try? await client.write(Self.encode(response, head: request.method == "HEAD"))
    }

    /// Answers `response` and closes without reading the request. Unread bytes at close would
    /// reset the connection before the client reads the answer, so the answer is ended and
    /// what the client still sends is drained (1 MiB at most, for `timeout` when given, else
    /// within the caller's timer).
    private static func refuse(_ client: Socket, _ response: Response, drainingFor timeout: Duration?) async {
        try? await client.write(encode(response, head: false))
        client.shutdownWrite()
        let timer = timeout.map { timeout in
            Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { client.close() }
            }
        }
        defer { timer?.cancel() }
        var drained = 0
        while drained < 1 << 20, let more = try? await client.read(upTo: 65536) { drained += more.count }
    }

    /// The index just past the blank line ending the headers, if it has come.
    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index - 3] == 0x0d && bytes[index - 2] == 0x0a && bytes[index - 1] == 0x0d && bytes[index] == 0x0a {
            return index + 1
        }
        return nil
    }

    /// The request line of a request: `METHOD SP TARGET SP HTTP/1.x`.
    static func parse(_ bytes: [UInt8]) -> Request? {
        guard let lineEnd = bytes.firstIndex(of: 0x0d) else { return nil }
        let parts = bytes[..<lineEnd].split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard parts.count == 3, parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0", parts[1].hasPrefix("/"),
              !parts[0].isEmpty, parts[0].utf8.allSatisfy({ (0x41...0x5a).contains($0) }) else { return nil }
        let target = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return Request(method: parts[0], path: String(target[0]), query: target.count > 1 ? String(target[1]) : nil)
    }

    static func encode(_ response: Response, head: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        text += "Content-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\n"
        if response.status == 405 { text += "Allow: GET, HEAD\r\n" }
        text += "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        return Array(text.utf8) + (head ? [] : response.body)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
