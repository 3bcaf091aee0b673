/// One HTTP/1.1 GET over the transport's sockets: what `peer status` asks a peer's status
/// endpoint with.
public enum HTTPClient {
    /// Why a GET got no answer.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// GETs `path` from `address`, reading at most `maximumBytes` of response.
    /// - Returns: the status code and the body.
    /// - Throws: `Failure` when the peer cannot be reached, answers late or not in HTTP.
    public static func get(_ path: String, from address: PeerAddress, timeout: Duration = .seconds(5),
                           maximumBytes: Int = 16 << 20) async throws(Failure) -> (status: Int, body: [UInt8]) {
        let result: Result<[UInt8], any Error> = await withTaskGroup(of: Result<[UInt8], any Error>?.self) { group in
            group.addTask {
                do {
                    let socket = try await Socket.connect(to: address)
                    defer { socket.close() }
                    try await socket.write(Array("GET \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n\r\n".utf8))
                    var response: [UInt8] = []
                    while response.count <= maximumBytes {
                        guard let more = try? await socket.read(upTo: 65536) else { break }
                        response += more
                    }
                    return .success(response)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(Failure(description: "no answer within \(timeout)"))
        }
        let bytes: [UInt8]
        switch result {
        case .success(let response): bytes = response
        case .failure(let error): throw Failure(description: "\(address): \(error)")
        }
        guard let end = HTTPServer.headerEnd(bytes), let lineEnd = bytes.firstIndex(of: 0x0d) else {
            throw Failure(description: "\(address) did not answer in HTTP")
        }
        let line = String(decoding: bytes[..<lineEnd], as: UTF8.self).split(separator: " ")
        guard line.count >= 2, line[0].hasPrefix("HTTP/1."), let status = Int(line[1]) else {
            throw Failure(description: "\(address) answered '\(line.joined(separator: " "))'")
        }
        return (status, Array(bytes[end...]))
    }
}
