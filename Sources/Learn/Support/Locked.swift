import Synchronization

/// A value behind a mutex, shareable by reference (a `Mutex` itself cannot be copied into closures).
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// A lock around `value`.
    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    /// The value (a copy, read under the lock); setting replaces it under the lock.
    public var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }

    /// Changes the value in place under the lock and returns what `body` returns.
    @discardableResult
    public func update<Result: Sendable>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }
}
