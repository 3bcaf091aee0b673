internal import CSodium

extension IdentityKey {
    /// The prefix of a secret key file's single line: `ed25519-seed:<base64 of the 32-byte seed>`.
    public static let fileTextPrefix = "ed25519-seed:"

    /// Reads a secret key file written by `write(to:replacing:)`.
    /// - Throws: `CryptoError.insecureKeyFile` when group or others can read it (fix with
    ///   `chmod 600`), `.malformedKeyFile` when its contents do not parse, `.fileSystem` otherwise.
    public init(contentsOfFile path: String) throws(CryptoError) {
        let contents = try SecretFile.read(path)
        let prefix = Array(Self.fileTextPrefix.utf8)
        let seed: SecureBytes = try contents.withUnsafeBytes { (bytes) throws(CryptoError) -> SecureBytes in
            var end = bytes.count
            while end > 0, [0x0a, 0x0d, 0x20, 0x09].contains(bytes[end - 1]) { end -= 1 }
            guard end >= prefix.count, prefix.elementsEqual(bytes[0..<prefix.count]) else {
                throw .malformedKeyFile(path: path, reason: "it does not start with '\(Self.fileTextPrefix)'; create one with 'peer keygen --out FILE'")
            }
            let encoded = UnsafeRawBufferPointer(rebasing: bytes[prefix.count..<end])
            var decodedLength = 0
            var status: Int32 = -1
            let seed = SecureBytes(count: Self.seedByteCount) { seedBuffer in
                status = sodium_base642bin(seedBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self), seedBuffer.count,
                                           encoded.baseAddress!.assumingMemoryBound(to: CChar.self), encoded.count,
                                           nil, &decodedLength, nil, sodium_base64_VARIANT_ORIGINAL)
            }
            guard status == 0, decodedLength == Self.seedByteCount else {
                throw .malformedKeyFile(path: path, reason: "the seed is not base64 of \(Self.seedByteCount) bytes")
            }
            return seed
        }
        try self.init(seed: seed)
    }

    /// Writes the secret key file atomically with mode 0600.
    /// - Parameters:
    ///   - path: the file to create.
    ///   - replacing: whether an existing file may be replaced.
    /// - Throws: `CryptoError.fileExists` or `.fileSystem`.
    public func write(toFile path: String, replacing: Bool = false) throws(CryptoError) {
        let prefix = Array(Self.fileTextPrefix.utf8)
        let encodedCapacity = sodium_base64_encoded_len(Self.seedByteCount, sodium_base64_VARIANT_ORIGINAL)
        // prefix + base64 (with its NUL) + newline, all in wiped storage.
        let line = SecureBytes(count: prefix.count + encodedCapacity) { buffer in
            buffer.copyBytes(from: prefix)
            withSeedBytes { seed in
                _ = sodium_bin2base64((buffer.baseAddress! + prefix.count).assumingMemoryBound(to: CChar.self), encodedCapacity,
                                      seed.baseAddress!.assumingMemoryBound(to: UInt8.self), seed.count,
                                      sodium_base64_VARIANT_ORIGINAL)
            }
            buffer[buffer.count - 1] = 0x0a // replaces the NUL terminator
        }
        try line.withUnsafeBytes { (bytes) throws(CryptoError) in try SecretFile.write(bytes, to: path, replacing: replacing) }
    }
}
