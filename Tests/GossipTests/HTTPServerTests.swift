import Foundation
import Testing
@testable import Gossip

/// The status endpoint's HTTP server under what clients may do to it.
@Suite struct HTTPServerTests {
    /// A server on a free loopback port answering /ok with "fine".
    private func server(_ limits: HTTPServer.Limits = .init()) throws -> (HTTPServer, PeerAddress) {
        let server = HTTPServer(address: PeerAddress(host: "127.0.0.1", port: 0), limits: limits)
        try server.start { request in
            request.path == "/ok" ? .text(200, "fine\n") : .text(404, "no\n")
        }
        return (server, PeerAddress(host: "127.0.0.1", port: server.port!))
    }

    /// Sends `bytes` and reads the whole answer (the server closes after one response).
    private func exchange(_ bytes: [UInt8], with address: PeerAddress) async throws -> String {
        let socket = try await Socket.connect(to: address)
        defer { socket.close() }
        try await socket.write(bytes)
        var answer: [UInt8] = []
        while let more = try? await socket.read(upTo: 4096) { answer += more }
        return String(decoding: answer, as: UTF8.self)
    }

    @Test func pathsMethodsAndHead() async throws {
        let (server, address) = try server()
        defer { server.stop() }
        let ok = try await HTTPClient.get("/ok", from: address)
        #expect(ok.status == 200 && ok.body == Array("fine\n".utf8))
        #expect(try await HTTPClient.get("/other?x=1", from: address).status == 404)
        let post = try await exchange(Array("POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8), with: address)
        #expect(post.hasPrefix("HTTP/1.1 405 ") && post.contains("Allow: GET, HEAD"))
        let head = try await exchange(Array("HEAD /ok HTTP/1.1\r\nHost: x\r\n\r\n".utf8), with: address)
        #expect(head.hasPrefix("HTTP/1.1 200 ") && head.contains("Content-Length: 5") && !head.contains("fine"))
        let garbage = try await exchange(Array("GET\r\n\r\n".utf8), with: address)
        #expect(garbage.hasPrefix("HTTP/1.1 400 "))
    }

    /// Request line and headers beyond the limit are refused once the limit is passed, without
    /// reading the rest.
    @Test func anOversizedRequestIsRefused() async throws {
        var limits = HTTPServer.Limits()
        limits.requestBytes = 1024
        let (server, address) = try server(limits)
        defer { server.stop() }
        let huge = "GET /ok HTTP/1.1\r\nX-Padding: " + String(repeating: "a", count: 100_000) + "\r\n\r\n"
        let answer = try await exchange(Array(huge.utf8), with: address)
        #expect(answer.hasPrefix("HTTP/1.1 431 "))
        #expect(try await HTTPClient.get("/ok", from: address).status == 200)
    }

    /// A client that sends half a request and stalls is cut off at the read timeout, and the
    /// server goes on answering others meanwhile.
    @Test func aSlowClientIsCutOffAndDoesNotBlockOthers() async throws {
        var limits = HTTPServer.Limits()
        limits.readTimeout = .milliseconds(300)
        let (server, address) = try server(limits)
        defer { server.stop() }
        let slow = try await Socket.connect(to: address)
        defer { slow.close() }
        try await slow.write(Array("GET /ok HTTP/1.1\r\n".utf8))
        #expect(try await HTTPClient.get("/ok", from: address).status == 200)
        let start = ContinuousClock.now
        var received: [UInt8] = []
        while let more = try? await slow.read(upTo: 4096) { received += more }
        #expect(received.isEmpty, "nothing is answered to an incomplete request")
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// More connections than the cap at once: the extra ones get 503, the others are served,
    /// and the server serves again once they are gone.
    @Test func connectionsBeyondTheCapGet503() async throws {
        var limits = HTTPServer.Limits()
        limits.connections = 8
        limits.readTimeout = .seconds(10)
        let (server, address) = try server(limits)
        defer { server.stop() }
        // Eight idle connections hold every slot.
        var idle: [Socket] = []
        for _ in 0..<8 { idle.append(try await Socket.connect(to: address)) }
        try await eventually { server.activeConnectionCount == 8 }
        let refused = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<56 { group.addTask { try await HTTPClient.get("/ok", from: address).status } }
            var codes: [Int] = []
            for try await code in group { codes.append(code) }
            return codes
        }
        #expect(refused.count == 56 && refused.allSatisfy { $0 == 503 })
        idle.forEach { $0.close() }
        try await eventually { server.activeConnectionCount == 0 }
        #expect(try await HTTPClient.get("/ok", from: address).status == 200)
    }

    private struct NeverHeld: Error {}

    /// Re-checks `condition` every few milliseconds for up to ten seconds.
    private func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw NeverHeld() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
