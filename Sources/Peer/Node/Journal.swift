import Gossip
import Learn
import Synchronization
internal import Foundation

/// A peer's journal: JSON lines, one `JournalEntry` each, appended with one write and an fsync.
/// A line cut short by a kill has no newline; reading drops it (and truncates it away).
struct Journal {
    let path: String

    /// The complete entries, in order.
    /// - Throws: `NodeError.state` when a complete line is not a journal entry.
    func entries() throws(NodeError) -> [JournalEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let bytes = [UInt8](data)
        let complete = bytes.lastIndex(of: 0x0a).map { $0 + 1 } ?? 0
        if complete < bytes.count { truncate(path, off_t(complete)) }
        let decoder = JSONDecoder()
        var entries: [JournalEntry] = []
        for (number, line) in bytes[..<complete].split(separator: 0x0a).enumerated() {
            guard let entry = try? decoder.decode(JournalEntry.self, from: Data(line)) else {
                throw .state(path: path, problem: "line \(number + 1) is not a journal entry",
                             fix: "move the state directory aside to start this peer afresh")
            }
            entries.append(entry)
        }
        return entries
    }

    /// Appends `entry` as one line and syncs it to disk.
    func append(_ entry: JournalEntry) throws(NodeError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var line = try? encoder.encode(entry) else { throw .storage(path: path, problem: "cannot encode round \(entry.round)", fix: "") }
        line.append(0x0a)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .storage(path: path, problem: "cannot be opened (errno \(errno))", fix: "check the state directory's permissions") }
        defer { close(descriptor) }
        guard line.withUnsafeBytes({ CrashRehearsal.writeAll(descriptor, $0) }), fsync(descriptor) == 0 else {
            throw .storage(path: path, problem: "could not be written (errno \(errno))", fix: "check free space")
        }
    }
}
