import Gossip
import Synchronization
internal import Foundation
import Learn

/// A peer's state directory: the checkpoint of M(r) after every round (the newest two kept),
/// the local optimiser state beside it, and the journal. Every file is written whole
/// (`AtomicFile`) or appended as a whole line (`Journal`); temporary files a kill left behind
/// are removed by the holder of the directory's `StateLock`.
struct StateDirectory {
    let path: String

    var journal: Journal { Journal(path: path + "/journal.jsonl") }

    /// Opens `path`, creating it (mode 0700) when missing.
    /// - Throws: `NodeError.state` when it cannot be created or written.
    init(path: String) throws(NodeError) {
        self.path = path
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if !manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            do {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .state(path: path, problem: "cannot be created (\(error.localizedDescription))", fix: "pass a writable --state DIR")
            }
        } else if !isDirectory.boolValue {
            throw .state(path: path, problem: "is a file, not a directory", fix: "pass a directory as --state")
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw .state(path: path, problem: "is not writable", fix: "pass a writable --state DIR or fix its permissions")
        }
    }

    /// Removes the temporary files of interrupted writes; only its lock's holder may.
    func removeTemporaryFiles() {
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: path)) ?? [] where Self.isTemporary(name) {
            try? manager.removeItem(atPath: path + "/" + name)
        }
    }

    /// Whether `name` is a temporary file of an interrupted atomic write.
    static func isTemporary(_ name: String) -> Bool { name.hasPrefix(".") && name.contains(".tmp-") }

    static func modelFile(round: Int) -> String { "model-" + padded(round) + ".safetensors" }
    static func optimizerFile(round: Int) -> String { "optimizer-" + padded(round) + ".safetensors" }

    private static func padded(_ round: Int) -> String {
        let digits = String(round)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The bytes of `file` in the directory, nil when it is missing.
    func read(_ file: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path + "/" + file).map { [UInt8]($0) }
    }

    /// Writes the checkpoint of M(`round`) and, when given, the optimiser state; then removes
    /// checkpoints older than the previous one.
    /// - Returns: the checkpoint's file name.
    func writeCheckpoint(round: Int, model: [UInt8], optimizer: [SafetensorsWriter.Tensor]?) throws(NodeError) -> String {
        let file = Self.modelFile(round: round)
        do {
            if let optimizer { try SafetensorsWriter.write(optimizer, to: path + "/" + Self.optimizerFile(round: round)) }
            try AtomicFile.write(model, to: path + "/" + file)
        } catch {
            throw .storage(path: path + "/" + file, problem: "could not be written (\(error.localizedDescription))", fix: "check free space")
        }
        prune()
        return file
    }

    /// Keeps the newest two checkpoints and optimiser states.
    private func prune() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for prefix in ["model-", "optimizer-"] {
            let files = names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".safetensors") }.sorted()
            for old in files.dropLast(2) { try? FileManager.default.removeItem(atPath: path + "/" + old) }
        }
    }
}
