internal import CSodium

/// One-time libsodium initialisation.
///
/// `sodium_init` picks the fastest implementations for this CPU (Salsa20 with AVX2, for one)
/// and seeds the random generator. Every public entry point that calls into libsodium
/// touches `Sodium.initialize()` first; Swift runs the static initialiser exactly once.
enum Sodium {
    private static let status: Int32 = sodium_init()

    /// Initialises libsodium if it is not yet initialised; a failure is fatal (no usable crypto).
    static func initialize() {
        precondition(status >= 0, "sodium_init failed: libsodium cannot be used on this system")
    }

    /// Fills `buffer` with cryptographically secure random bytes.
    static func randomBytes(_ buffer: UnsafeMutableRawBufferPointer) {
        initialize()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    /// `count` cryptographically secure random bytes.
    static func randomBytes(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randomBytes($0) }
        return bytes
    }
}

/// Facts about the cryptographic library this build uses.
public enum CryptoBackend {
    /// libsodium's version string, e.g. "1.0.18".
    public static var version: String {
        Sodium.initialize()
        return String(cString: sodium_version_string())
    }
}
