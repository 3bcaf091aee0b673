internal import CSodium

/// Derivation of the pairwise mask secret of two peers in one round.
///
/// `secret = BLAKE2b-256(domain || federation id || round || id_lo || key_lo || id_hi || key_hi || X25519(s_u, s_v))`
/// where lo/hi is the canonical (byte-wise) order of the two peer ids and every variable-length
/// field is length-prefixed. Both peers derive the same 32 bytes; anyone without one of the two
/// secret keys cannot, and a secret from one round or federation says nothing about another.
public enum KeyAgreement {
    /// Domain separation for this derivation.
    static let domain = Array("secagg-pairwise-mask-v1".utf8)

    /// Whether `a` comes before `b` in the canonical peer order (byte-wise UTF-8). The first peer
    /// of a pair adds the pairwise mask, the second subtracts it.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The 32-byte pairwise mask secret of `localID` (holding `localKeyPair`) and `remoteID`
    /// (advertising `remoteKey`).
    ///
    /// - Parameters:
    ///   - localKeyPair: this peer's per-round key pair.
    ///   - localID: this peer's id.
    ///   - remoteKey: the other peer's advertised per-round public key.
    ///   - remoteID: the other peer's id; must differ from `localID`.
    ///   - federationID: the federation id (hash of the topology file).
    ///   - round: the round number.
    /// - Returns: the shared secret, the same on both sides.
    /// - Throws: `CryptoError.weakPublicKey` when the remote key gives the all-zero output.
    public static func pairwiseSecret(
        localKeyPair: X25519KeyPair, localID: String,
        remoteKey: X25519PublicKey, remoteID: String,
        federationID: [UInt8], round: UInt64
    ) throws(CryptoError) -> SecureBytes {
        precondition(localID != remoteID, "a peer has no pairwise mask with itself")
        Sodium.initialize()
        var failed = false
        let shared = SecureBytes(count: Int(crypto_scalarmult_bytes())) { output in
            localKeyPair.secretKey.withUnsafeBytes { secret in
                failed = crypto_scalarmult(output.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                           secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                           remoteKey.rawRepresentation) != 0
            }
        }
        if failed { throw .weakPublicKey }
        let local = (id: Array(localID.utf8), key: localKeyPair.publicKey.rawRepresentation)
        let remote = (id: Array(remoteID.utf8), key: remoteKey.rawRepresentation)
        let (first, second) = precedes(localID, remoteID) ? (local, remote) : (remote, local)
        var hasher = Blake2b.Hasher()
        hasher.updateField(domain)
        hasher.updateField(federationID)
        hasher.update(round)
        hasher.updateField(first.id)
        hasher.updateField(first.key)
        hasher.updateField(second.id)
        hasher.updateField(second.key)
        shared.withUnsafeBytes { hasher.update($0) }
        return hasher.finalizeSecret()
    }
}
