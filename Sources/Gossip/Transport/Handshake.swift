import Crypto

/// The connection handshake (docs/PROTOCOL.md, "Handshake"): signed hellos with pinned Ed25519
/// keys, bound to the federation id and to fresh ephemeral X25519 keys, then `crypto_kx`
/// session keys. The dialler is the client.
///
/// ```
/// ClientHello  (104 bytes) = magic(8) || federation(32) || clientKey(32) || clientEphemeral(32)
/// ServerHello  (168 bytes) = magic(8) || federation(32) || serverKey(32) || serverEphemeral(32)
///                            || Sign_server("flpeer handshake server v1" || ClientHello || first 104 bytes of ServerHello)
/// ClientFinish  (64 bytes) = Sign_client("flpeer handshake client v1" || ClientHello || ServerHello)
/// ```
enum Handshake {
    static let magic = Array("FLPEER01".utf8)
    static let helloByteCount = 8 + 32 + 32 + 32
    static let serverHelloByteCount = helloByteCount + IdentityPublicKey.signatureByteCount
    static let finishByteCount = IdentityPublicKey.signatureByteCount
    static let serverContext = Array("flpeer handshake server v1".utf8)
    static let clientContext = Array("flpeer handshake client v1".utf8)

    /// The fields every hello starts with.
    struct Hello {
        let federation: [UInt8]
        let key: IdentityPublicKey
        let ephemeral: X25519PublicKey
        let bytes: [UInt8]

        init(federation: [UInt8], key: IdentityPublicKey, ephemeral: X25519PublicKey) {
            self.federation = federation
            self.key = key
            self.ephemeral = ephemeral
            bytes = Handshake.magic + federation + key.rawRepresentation + ephemeral.rawRepresentation
        }

        /// Parses the first `helloByteCount` bytes.
        init(parsing bytes: ArraySlice<UInt8>) throws(TransportError) {
            let bytes = Array(bytes)
            guard bytes.count == Handshake.helloByteCount, Array(bytes[0..<8]) == Handshake.magic,
                  let key = try? IdentityPublicKey(rawRepresentation: bytes[40..<72]),
                  let ephemeral = try? X25519PublicKey(rawRepresentation: bytes[72..<104]) else {
                throw .refused(.malformedHello("not a hello of this protocol (wrong magic or length)"))
            }
            federation = Array(bytes[8..<40])
            self.key = key
            self.ephemeral = ephemeral
            self.bytes = bytes
        }
    }

    /// What a completed handshake yields.
    struct Result {
        let peerID: String
        let keys: ChannelKeys
    }

    /// Who may connect: the pinned keys and links of the topology, from one peer's view.
    struct Policy: Sendable {
        let federation: FederationID
        let localID: String
        let identity: IdentityKey
        let topology: Topology
        let replayGuard: ReplayGuard
    }

    // MARK: - Client (dialler)

    static func runClient(on socket: Socket, policy: Policy, expectedPeer: Topology.Peer) async throws -> Result {
        let ephemeral = X25519KeyPair()
        let hello = Hello(federation: policy.federation.bytes, key: policy.identity.publicKey, ephemeral: ephemeral.publicKey)
        try await socket.write(hello.bytes)
        let serverBytes = try await socket.read(exactly: serverHelloByteCount)
        let server = try Hello(parsing: serverBytes[0..<helloByteCount])
        guard server.federation == policy.federation.bytes else {
            throw TransportError.refused(.wrongFederation(ours: policy.federation.short, theirs: String(server.federation.hexString.prefix(12))))
        }
        guard server.key == expectedPeer.key else {
            let claimed = policy.topology.peers.first { $0.key == server.key }?.id ?? server.key.text
            throw TransportError.refused(.unexpectedPeer(expected: expectedPeer.id, got: claimed))
        }
        let signature = serverBytes[helloByteCount...]
        guard server.key.isValidSignature(signature, for: serverContext + hello.bytes + server.bytes) else {
            throw TransportError.refused(.badSignature(peer: expectedPeer.id))
        }
        try await socket.write(policy.identity.signature(for: clientContext + hello.bytes + serverBytes))
        return Result(peerID: expectedPeer.id, keys: try ChannelKeys(role: .client, local: ephemeral, remote: server.ephemeral))
    }

    // MARK: - Server (listener)

    static func runServer(on socket: Socket, policy: Policy) async throws -> Result {
        let hello = try Hello(parsing: try await socket.read(exactly: helloByteCount)[...])
        guard hello.federation == policy.federation.bytes else {
            throw TransportError.refused(.wrongFederation(ours: policy.federation.short, theirs: String(hello.federation.hexString.prefix(12))))
        }
        guard let client = policy.topology.peers.first(where: { $0.key == hello.key }) else {
            throw TransportError.refused(.unknownKey(hello.key.text))
        }
        guard policy.topology.areNeighbours(policy.localID, client.id) else {
            throw TransportError.refused(.notNeighbour(peer: client.id))
        }
        guard policy.replayGuard.admit(hello.ephemeral) else {
            throw TransportError.refused(.replayedHello(peer: client.id))
        }
        let ephemeral = X25519KeyPair()
        let serverHello = Hello(federation: policy.federation.bytes, key: policy.identity.publicKey, ephemeral: ephemeral.publicKey)
        let serverBytes = serverHello.bytes + policy.identity.signature(for: serverContext + hello.bytes + serverHello.bytes)
        try await socket.write(serverBytes)
        let finish = try await socket.read(exactly: finishByteCount)
        guard client.key.isValidSignature(finish, for: clientContext + hello.bytes + serverBytes) else {
            throw TransportError.refused(.badSignature(peer: client.id))
        }
        return Result(peerID: client.id, keys: try ChannelKeys(role: .server, local: ephemeral, remote: hello.ephemeral))
    }
}
