import Crypto

/// One authenticated, encrypted connection to a neighbour, after the handshake.
///
/// Wire format after the handshake (docs/PROTOCOL.md, "Frames"): each side first sends its
/// 24-byte secretstream header, then frames `length(4, big endian) || sealed(length)`, with
/// `length <= maximumFrameByteCount` checked before anything is allocated. A sealed frame opens
/// to `kind(1) || flags(1) || payload`: kind 0 is a heartbeat, kinds 1...255 are channels;
/// flag bit 0 means "more chunks of this message follow".
final class SecureConnection: @unchecked Sendable {
    // @unchecked: `pusher` is only touched under `writeLock`, `puller` only by the single reader.

    /// The largest sealed frame on the wire.
    static let maximumFrameByteCount = 16 << 20
    /// The largest payload of one frame.
    static let maximumChunkByteCount = maximumFrameByteCount - 2 - SecretStream.overheadByteCount
    static let heartbeatKind: UInt8 = 0
    static let moreFlag: UInt8 = 1

    /// What `receive` returns.
    enum Incoming {
        case heartbeat
        case message(channel: UInt8, bytes: [UInt8])
    }

    let peerID: String
    let socket: Socket
    private let pusher: SecretStreamPusher
    private let puller: SecretStreamPuller
    private let writeLock = AsyncLock()
    /// The longest message `send` takes; what is accepted is the receiver's per-channel limit.
    private let maximumMessageByteCount: Int

    private init(peerID: String, socket: Socket, pusher: SecretStreamPusher, puller: SecretStreamPuller, maximumMessageByteCount: Int) {
        self.peerID = peerID
        self.socket = socket
        self.pusher = pusher
        self.puller = puller
        self.maximumMessageByteCount = maximumMessageByteCount
    }

    /// Exchanges the secretstream headers over a handshaken socket; part of the handshake, so
    /// the caller runs it within the handshake timeout.
    static func establish(on socket: Socket, handshake: Handshake.Result, maximumMessageByteCount: Int) async throws -> SecureConnection {
        let pusher = try SecretStreamPusher(key: handshake.keys.transmit)
        try await socket.write(pusher.header)
        let header = try await socket.read(exactly: SecretStream.headerByteCount)
        let puller = try SecretStreamPuller(key: handshake.keys.receive, header: header)
        return SecureConnection(peerID: handshake.peerID, socket: socket, pusher: pusher, puller: puller,
                                maximumMessageByteCount: maximumMessageByteCount)
    }

    // MARK: - Sending

    /// Sends one message on `channel` (1...255), chunked into frames that stay together.
    /// - Returns: the bytes written to the socket.
    @discardableResult
    func send(_ message: [UInt8], channel: UInt8) async throws -> Int {
        precondition(channel != Self.heartbeatKind, "channel 0 is the heartbeat")
        guard message.count <= maximumMessageByteCount else {
            throw TransportError.protocolViolation("a message of \(message.count) bytes exceeds the limit of \(maximumMessageByteCount)")
        }
        await writeLock.lock()
        defer { writeLock.unlock() }
        var written = 0, start = 0
        repeat {
            let end = min(start + Self.maximumChunkByteCount, message.count)
            let flags = end < message.count ? Self.moreFlag : 0
            written += try await writeFrame([channel, flags] + message[start..<end])
            start = end
        } while start < message.count
        return written
    }

    /// Sends a heartbeat frame.
    @discardableResult
    func sendHeartbeat() async throws -> Int {
        await writeLock.lock()
        defer { writeLock.unlock() }
        return try await writeFrame([Self.heartbeatKind, 0])
    }

    /// Seals `plaintext` straight into one buffer behind its 4-byte length and writes it.
    private func writeFrame(_ plaintext: [UInt8]) async throws -> Int {
        let sealedCount = plaintext.count + SecretStream.overheadByteCount
        var failure: (any Error)?
        let frame = [UInt8](unsafeUninitializedCapacity: 4 + sealedCount) { buffer, initialized in
            let length = UInt32(sealedCount)
            buffer[0] = UInt8(length >> 24)
            buffer[1] = UInt8(length >> 16 & 0xff)
            buffer[2] = UInt8(length >> 8 & 0xff)
            buffer[3] = UInt8(length & 0xff)
            do {
                try plaintext.withUnsafeBytes { message in
                    try pusher.push(message, into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[4...]))
                }
                initialized = 4 + sealedCount
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        try await socket.write(frame)
        return frame.count
    }

    // MARK: - Receiving

    /// Reads the next heartbeat or whole message; `onFrame` sees each frame's wire size as it
    /// arrives (for metrics and failure detection).
    /// - Parameter limit: the longest message accepted on a channel, asked once per message at
    ///   its first chunk; reassembly stops as soon as the chunks so far pass it.
    /// - Throws: `TransportError.protocolViolation` for an oversized, undecryptable or malformed
    ///   frame or message (the caller closes the connection), `.closed` at end of stream.
    func receive(limit: (_ channel: UInt8) -> Int, onFrame: (Int) -> Void) async throws -> Incoming {
        var assembled: [UInt8] = []
        var message: (channel: UInt8, limit: Int)?
        while true {
            let (kind, flags, payload) = try await readFrame(onFrame: onFrame)
            if kind == Self.heartbeatKind {
                guard message == nil else { throw TransportError.protocolViolation("a heartbeat inside a chunked message") }
                return .heartbeat
            }
            if let message, message.channel != kind {
                throw TransportError.protocolViolation("a chunk of channel \(kind) inside a message of channel \(message.channel)")
            }
            let maximum = message?.limit ?? limit(kind)
            message = (kind, maximum)
            guard assembled.count + payload.count <= maximum else {
                throw TransportError.protocolViolation("a message on channel \(kind) longer than \(maximum) bytes")
            }
            assembled += payload
            if flags & Self.moreFlag == 0 { return .message(channel: kind, bytes: assembled) }
        }
    }

    private func readFrame(onFrame: (Int) -> Void) async throws -> (UInt8, UInt8, ArraySlice<UInt8>) {
        let header = try await socket.read(exactly: 4)
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length >= SecretStream.overheadByteCount + 2, length <= Self.maximumFrameByteCount else {
            throw TransportError.protocolViolation("frame length \(length) outside \(SecretStream.overheadByteCount + 2)...\(Self.maximumFrameByteCount)")
        }
        let sealed = try await socket.read(exactly: length)
        onFrame(length + 4)
        let plaintext: [UInt8]
        do {
            plaintext = try puller.pull(sealed).message
        } catch {
            throw TransportError.protocolViolation("a frame failed authentication (\(error))")
        }
        guard plaintext.count >= 2 else { throw TransportError.protocolViolation("a frame without its kind and flags") }
        return (plaintext[0], plaintext[1], plaintext[2...])
    }

    /// Shuts the socket down; pending reads and writes fail (see `Socket.close()`).
    func close() {
        socket.close()
    }
}
