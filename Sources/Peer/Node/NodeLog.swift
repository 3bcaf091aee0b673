import Gossip
internal import Foundation
import Synchronization

/// A peer's log: one line per event on standard error, as text or as JSON lines with the same
/// fields. Never carries secrets: callers pass ids, rounds, phases, hashes and figures.
public final class NodeLog: Sendable {
    /// How lines are written.
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    private let format: Format
    private let peer: String
    private let sink: @Sendable (String) -> Void
    private let lock = Mutex(())

    /// A log for `peer` writing lines to `sink`.
    public init(peer: String, format: Format, sink: @escaping @Sendable (String) -> Void) {
        self.peer = peer
        self.format = format
        self.sink = sink
    }

    /// A log for `peer` writing lines to standard error.
    public convenience init(peer: String, format: Format) {
        self.init(peer: peer, format: format) { FileHandle.standardError.write(Data($0.utf8)) }
    }

    /// Writes one event: `message` for people and `fields` for machines (the JSON line has
    /// both, with `time`, `peer` and `event`).
    public func event(_ event: String, _ message: String, _ fields: [String: any Sendable] = [:]) {
        let time = Date().formatted(.iso8601)
        let line: String
        switch format {
        case .text:
            line = "\(time) \(peer) \(message)\n"
        case .json:
            var object: [String: Any] = fields
            object["time"] = time
            object["peer"] = peer
            object["event"] = event
            object["message"] = message
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
            line = String(decoding: data, as: UTF8.self) + "\n"
        }
        lock.withLock { _ in sink(line) }
    }
}
