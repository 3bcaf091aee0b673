internal import CSodium

/// `crypto_secretstream_xchacha20poly1305`: one authenticated, ordered stream of messages per
/// direction of a connection. Reordering, dropping, replaying or altering a message makes the
/// next `pull` fail.
public enum SecretStream {
    /// Bytes of the header that starts a stream.
    public static let headerByteCount = Int(crypto_secretstream_xchacha20poly1305_headerbytes())
    /// Bytes a sealed message adds to its plaintext.
    public static let overheadByteCount = Int(crypto_secretstream_xchacha20poly1305_abytes())
    /// Bytes of a stream key.
    public static let keyByteCount = Int(crypto_secretstream_xchacha20poly1305_keybytes())

    static let messageTag = UInt8(crypto_secretstream_xchacha20poly1305_tag_message())
    static let finalTag = UInt8(crypto_secretstream_xchacha20poly1305_tag_final())

    /// The libsodium state, in wiped heap storage.
    final class State {
        let pointer: UnsafeMutableRawPointer
        private let byteCount = crypto_secretstream_xchacha20poly1305_statebytes()

        init() {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
            pointer.bindMemory(to: crypto_secretstream_xchacha20poly1305_state.self, capacity: 1)
        }

        deinit {
            sodium_memzero(pointer, byteCount)
            pointer.deallocate()
        }

        var handle: UnsafeMutablePointer<crypto_secretstream_xchacha20poly1305_state> {
            pointer.assumingMemoryBound(to: crypto_secretstream_xchacha20poly1305_state.self)
        }
    }

    static func checkKey(_ key: SecureBytes) throws(CryptoError) {
        guard key.count == keyByteCount else {
            throw .invalidKeyLength(kind: "a secret stream key", expected: keyByteCount, actual: key.count)
        }
    }
}

/// The sending half of a secret stream.
public final class SecretStreamPusher {
    private let state = SecretStream.State()
    private var finished = false
    /// The header the receiver needs to start pulling; send it first.
    public let header: [UInt8]

    /// Starts a stream with a 32-byte key (a `ChannelKeys.transmit`).
    /// - Throws: `CryptoError.invalidKeyLength`.
    public init(key: SecureBytes) throws(CryptoError) {
        try SecretStream.checkKey(key)
        Sodium.initialize()
        var header = [UInt8](repeating: 0, count: SecretStream.headerByteCount)
        let handle = state.handle
        let status = key.withUnsafeBytes {
            crypto_secretstream_xchacha20poly1305_init_push(handle, &header, $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        precondition(status == 0, "crypto_secretstream_xchacha20poly1305_init_push failed")
        self.header = header
    }

    /// Seals the next message.
    /// - Parameters:
    ///   - message: the plaintext.
    ///   - isFinal: marks the last message of the stream; nothing can be pushed after it.
    /// - Returns: `message.count + overheadByteCount` bytes.
    /// - Throws: `CryptoError.streamFinished` after a final message.
    public func push(_ message: some Collection<UInt8>, isFinal: Bool = false) throws(CryptoError) -> [UInt8] {
        let sealedCount = message.count + SecretStream.overheadByteCount
        var failure: CryptoError?
        let sealed = [UInt8](unsafeUninitializedCapacity: sealedCount) { output, initialized in
            do throws(CryptoError) {
                try Self.withContiguousBytes(message) { (bytes) throws(CryptoError) in
                    try push(bytes, isFinal: isFinal, into: UnsafeMutableRawBufferPointer(output))
                }
                initialized = sealedCount
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return sealed
    }

    /// Seals `message` into the first `message.count + overheadByteCount` bytes of `output`,
    /// without intermediate copies (the transport writes frames this way).
    /// - Throws: `CryptoError.streamFinished` after a final message.
    public func push(_ message: UnsafeRawBufferPointer, isFinal: Bool = false, into output: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        guard !finished else { throw .streamFinished }
        precondition(output.count >= message.count + SecretStream.overheadByteCount, "output too small for the sealed message")
        let status = crypto_secretstream_xchacha20poly1305_push(
            state.handle, output.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
            message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count), nil, 0,
            isFinal ? SecretStream.finalTag : SecretStream.messageTag)
        precondition(status == 0, "crypto_secretstream_xchacha20poly1305_push failed")
        finished = isFinal
    }

    /// Calls `body` with the bytes of `collection`, copying only when it is not contiguous.
    static func withContiguousBytes<Result>(_ collection: some Collection<UInt8>,
                                            _ body: (UnsafeRawBufferPointer) throws(CryptoError) -> Result) throws(CryptoError) -> Result {
        var result: Result?, failure: CryptoError?
        func run(_ bytes: UnsafeRawBufferPointer) {
            do throws(CryptoError) { result = try body(bytes) } catch { failure = error }
        }
        if collection.withContiguousStorageIfAvailable({ run(UnsafeRawBufferPointer($0)) }) == nil {
            Array(collection).withUnsafeBytes { run($0) }
        }
        if let failure { throw failure }
        return result!
    }
}

/// The receiving half of a secret stream.
public final class SecretStreamPuller {
    private let state = SecretStream.State()
    private var finished = false

    /// Starts pulling a stream from its header and a 32-byte key (a `ChannelKeys.receive`).
    /// - Throws: `CryptoError.invalidKeyLength`, `.invalidLength` for a wrong header size,
    ///   `.authenticationFailed` for a header libsodium rejects.
    public init(key: SecureBytes, header: some Collection<UInt8>) throws(CryptoError) {
        try SecretStream.checkKey(key)
        let header = Array(header)
        guard header.count == SecretStream.headerByteCount else {
            throw .invalidLength(kind: "a secret stream header", length: header.count,
                                 allowed: SecretStream.headerByteCount...SecretStream.headerByteCount)
        }
        Sodium.initialize()
        let status = key.withUnsafeBytes {
            crypto_secretstream_xchacha20poly1305_init_pull(state.handle, header, $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard status == 0 else { throw .authenticationFailed }
    }

    /// Opens the next sealed message.
    /// - Returns: the plaintext and whether the sender marked it final.
    /// - Throws: `.invalidLength` when shorter than the overhead, `.authenticationFailed` when
    ///   altered, out of order or replayed, `.streamFinished` after a final message.
    public func pull(_ sealed: some Collection<UInt8>) throws(CryptoError) -> (message: [UInt8], isFinal: Bool) {
        guard !finished else { throw .streamFinished }
        guard sealed.count >= SecretStream.overheadByteCount else {
            throw .invalidLength(kind: "a sealed stream message", length: sealed.count,
                                 allowed: SecretStream.overheadByteCount...Int.max)
        }
        let messageCount = sealed.count - SecretStream.overheadByteCount
        var tag: UInt8 = 0
        var status: Int32 = -1
        let message = try SecretStreamPusher.withContiguousBytes(sealed) { (input) throws(CryptoError) -> [UInt8] in
            [UInt8](unsafeUninitializedCapacity: max(messageCount, 1)) { output, initialized in
                status = crypto_secretstream_xchacha20poly1305_pull(
                    state.handle, output.baseAddress!, nil, &tag, input.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    UInt64(input.count), nil, 0)
                initialized = status == 0 ? messageCount : 0
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        finished = tag == SecretStream.finalTag
        return (message, finished)
    }
}
