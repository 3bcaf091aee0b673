internal import CSodium

/// BLAKE2b (libsodium's `crypto_generichash`): federation ids, content addresses and key
/// derivation all use it.
public enum Blake2b {
    /// Smallest, default and largest digest sizes in bytes.
    public static let minimumDigestByteCount = 16
    public static let defaultDigestByteCount = 32
    public static let maximumDigestByteCount = 64

    /// The BLAKE2b digest of `bytes`.
    /// - Parameters:
    ///   - bytes: the message.
    ///   - digestByteCount: 16...64 bytes; 32 by default.
    /// - Returns: the digest.
    public static func hash(_ bytes: some Collection<UInt8>, digestByteCount: Int = defaultDigestByteCount) -> [UInt8] {
        var hasher = Hasher(digestByteCount: digestByteCount)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Incremental BLAKE2b over several inputs.
    public struct Hasher: ~Copyable {
        private let state: UnsafeMutableRawPointer
        private let digestByteCount: Int

        /// Starts a digest of `digestByteCount` bytes (16...64), optionally keyed.
        public init(digestByteCount: Int = Blake2b.defaultDigestByteCount, key: SecureBytes? = nil) {
            precondition((Blake2b.minimumDigestByteCount...Blake2b.maximumDigestByteCount).contains(digestByteCount),
                         "BLAKE2b digests are 16...64 bytes")
            Sodium.initialize()
            self.digestByteCount = digestByteCount
            state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
            let status: Int32
            if let key {
                precondition(key.count >= 16 && key.count <= 64, "BLAKE2b keys are 16...64 bytes")
                status = key.withUnsafeBytes {
                    crypto_generichash_init(stateHandle, $0.bindMemory(to: UInt8.self).baseAddress, $0.count, digestByteCount)
                }
            } else {
                status = crypto_generichash_init(stateHandle, nil, 0, digestByteCount)
            }
            precondition(status == 0, "crypto_generichash_init rejected valid parameters")
        }

        deinit {
            sodium_memzero(state, crypto_generichash_statebytes())
            state.deallocate()
        }

        // The state struct is 64-byte aligned in C and imports as an opaque pointer.
        private var stateHandle: OpaquePointer { OpaquePointer(state) }

        /// Absorbs `bytes`.
        public mutating func update(_ bytes: some Collection<UInt8>) {
            let done = bytes.withContiguousStorageIfAvailable { buffer in
                crypto_generichash_update(stateHandle, buffer.baseAddress, UInt64(buffer.count))
            }
            if done == nil {
                let copy = Array(bytes)
                copy.withUnsafeBufferPointer { _ = crypto_generichash_update(stateHandle, $0.baseAddress, UInt64($0.count)) }
            }
        }

        /// Absorbs raw bytes (used for secrets, which must not be copied into arrays).
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            crypto_generichash_update(stateHandle, bytes.bindMemory(to: UInt8.self).baseAddress, UInt64(bytes.count))
        }

        /// Absorbs `value` as 8 little-endian bytes.
        public mutating func update(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { update($0) }
        }

        /// Absorbs a field as its length (8 bytes, little endian) then its bytes, so that a
        /// sequence of fields has exactly one encoding.
        public mutating func updateField(_ bytes: some Collection<UInt8>) {
            update(UInt64(bytes.count))
            update(bytes)
        }

        /// Finishes the digest.
        public consuming func finalize() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: digestByteCount)
            let status = digest.withUnsafeMutableBufferPointer {
                crypto_generichash_final(stateHandle, $0.baseAddress!, digestByteCount)
            }
            precondition(status == 0, "crypto_generichash_final failed")
            return digest
        }

        /// Finishes the digest into wiped-on-release storage, for derived keys.
        public consuming func finalizeSecret() -> SecureBytes {
            let count = digestByteCount
            return SecureBytes(count: count) { buffer in
                let status = crypto_generichash_final(stateHandle, buffer.bindMemory(to: UInt8.self).baseAddress!, count)
                precondition(status == 0, "crypto_generichash_final failed")
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hexadecimal.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
