internal import CSodium

/// The two session keys of one connection, from `crypto_kx` over both sides' ephemeral
/// X25519 keys: `transmit` seals what this side sends, `receive` opens what it gets.
/// The client's `transmit` is the server's `receive` and the other way round.
public struct ChannelKeys: Sendable {
    /// Which side of `crypto_kx` this peer plays; in the transport the dialler is the client.
    public enum Role: Sendable {
        case client
        case server
    }

    /// Key for the stream this side reads.
    public let receive: SecureBytes
    /// Key for the stream this side writes.
    public let transmit: SecureBytes

    /// Derives the session keys.
    /// - Parameters:
    ///   - role: this side's role.
    ///   - local: this side's ephemeral key pair.
    ///   - remote: the other side's ephemeral public key.
    /// - Throws: `CryptoError.weakPublicKey` when libsodium rejects the remote key.
    public init(role: Role, local: X25519KeyPair, remote: X25519PublicKey) throws(CryptoError) {
        Sodium.initialize()
        let keyByteCount = Int(crypto_kx_sessionkeybytes())
        var status: Int32 = 0
        var transmitKey: SecureBytes?
        let receiveKey = SecureBytes(count: keyByteCount) { rx in
            transmitKey = SecureBytes(count: keyByteCount) { tx in
                local.secretKey.withUnsafeBytes { secret in
                    let rxPointer = rx.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    let txPointer = tx.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    let secretPointer = secret.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    let publicKey = local.publicKey.rawRepresentation
                    switch role {
                    case .client:
                        status = crypto_kx_client_session_keys(rxPointer, txPointer, publicKey, secretPointer, remote.rawRepresentation)
                    case .server:
                        status = crypto_kx_server_session_keys(rxPointer, txPointer, publicKey, secretPointer, remote.rawRepresentation)
                    }
                }
            }
        }
        guard status == 0, let transmitKey else { throw .weakPublicKey }
        receive = receiveKey
        transmit = transmitKey
    }
}
