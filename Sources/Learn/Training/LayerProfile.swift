internal import Foundation
import Synchronization

/// Wall time spent in each layer's forward and backward passes, collected while enabled (for
/// `peer bench learn --profile`); when disabled a layer pays one atomic load per pass.
public enum LayerProfile {
    /// One layer's totals.
    public struct Entry: Sendable {
        /// The layer's kind ("Conv2d", "BatchNorm2d", ...).
        public let kind: String
        /// The state_dict prefix ("layer1.0.conv1"), or the kind for layers without parameters.
        public let name: String
        public var forwardSeconds: Double = 0
        public var backwardSeconds: Double = 0
        public var calls = 0
    }

    /// Which pass a measurement belongs to.
    enum Pass { case forward, backward }

    private static let enabled = Atomic<Bool>(false)
    private static let entries = Locked<[String: Entry]>([:])

    /// Clears the totals and starts collecting.
    public static func start() {
        entries.value = [:]
        enabled.store(true, ordering: .releasing)
    }

    /// Stops collecting and returns the totals, slowest first.
    public static func stop() -> [Entry] {
        enabled.store(false, ordering: .releasing)
        return entries.value.values.sorted { $0.forwardSeconds + $0.backwardSeconds > $1.forwardSeconds + $1.backwardSeconds }
    }

    /// Runs `body`, adding its wall time to the layer's totals when profiling.
    @inline(__always)
    static func measure<Result>(_ kind: String, _ name: @autoclosure () -> String, _ pass: Pass, _ body: () -> Result) -> Result {
        guard enabled.load(ordering: .acquiring) else { return body() }
        let name = name()
        let start = ContinuousClock.now
        let result = body()
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        entries.update { entries in
            var entry = entries[kind + "|" + name] ?? Entry(kind: kind, name: name)
            if pass == .forward {
                entry.forwardSeconds += seconds
                entry.calls += 1
            } else {
                entry.backwardSeconds += seconds
            }
            entries[kind + "|" + name] = entry
        }
        return result
    }
}
