internal import Foundation
internal import Glibc

/// The exclusive hold of one `peer run` on its state directory: an flock on STATE/peer.lock,
/// which holds the process id. The kernel releases it when the process ends, however it ends,
/// so a peer is never started twice on one state directory and a killed one never blocks its
/// restart.
public final class StateLock: Sendable {
    public static let fileName = "peer.lock"

    private let descriptor: Int32

    /// Takes the lock of the state directory at `path`.
    /// - Throws: `NodeError.busy` naming the holder's pid when another process holds it.
    init(directory path: String) throws(NodeError) {
        let file = path + "/" + Self.fileName
        descriptor = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .state(path: file, problem: "cannot be opened (errno \(errno))", fix: "check the state directory's permissions") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.holder(of: path) ?? "unknown"
            close(descriptor)
            throw .busy(path: path, pid: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        close(descriptor)
    }

    /// The process id written by the lock's holder, if the file has one.
    public static func holder(of directory: String) -> String? {
        guard let text = try? String(contentsOfFile: directory + "/" + fileName, encoding: .utf8) else { return nil }
        let pid = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return pid.isEmpty ? nil : pid
    }

    /// Whether a process holds the lock of `directory` now.
    public static func isHeld(_ directory: String) -> Bool {
        let descriptor = open(directory + "/" + fileName, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }
}
