internal import CSodium

/// Key material: bytes that are wiped when the last reference goes away and that compare in
/// constant time. The bytes are reachable only through `withUnsafeBytes`, never as an array.
public final class SecureBytes: @unchecked Sendable {
    // Immutable after initialisation, so sharing across threads is safe. The allocation has at
    // least one byte so that an empty secret still has a valid base address.
    private let storage: UnsafeMutableRawBufferPointer

    /// The number of bytes.
    public let count: Int

    /// Fresh random bytes from libsodium's CSPRNG.
    /// - Parameter count: the number of bytes.
    public convenience init(randomCount count: Int) {
        self.init(count: count) { Sodium.randomBytes($0) }
    }

    /// Copies `bytes`; the caller remains responsible for wiping its own copy.
    public convenience init(copying bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        self.init(count: array.count) { buffer in
            array.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
    }

    /// Allocates `count` zeroed bytes and lets `initializer` fill them in place, so the secret
    /// never exists in an unwiped temporary.
    /// - Throws: whatever `initializer` throws; the bytes are wiped first.
    public init(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        precondition(count >= 0, "SecureBytes count must not be negative")
        self.count = count
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        // If the initializer throws, the fully initialised object is released and deinit wipes it.
        try initializer(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    deinit {
        Self.wipe(storage)
        storage.deallocate()
    }

    /// Calls `body` with a read-only view of the bytes; do not let the pointer escape.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    private static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
    }
}

extension SecureBytes: Equatable {
    /// Constant-time comparison (`sodium_memcmp`); buffers of different lengths are unequal.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                guard let l = left.baseAddress, let r = right.baseAddress else { return true }
                return sodium_memcmp(l, r, left.count) == 0
            }
        }
    }
}
