internal import Foundation

/// Whole-file writes that never leave a half-written file: a temporary file beside the target,
/// fsync, then rename over the target.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically.
    /// - Throws: the file system's error, naming `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw failure(path, errno) }
        let written = bytes.withUnsafeBytes { CrashRehearsal.writeAll(descriptor, $0) } && fsync(descriptor) == 0
        let code = errno
        close(descriptor)
        if written {
            CrashRehearsal.beforeRename()
            if rename(temporary, path) == 0 { return }
        }
        let failed = written ? errno : code
        unlink(temporary)
        throw failure(path, failed)
    }

    private static func failure(_ path: String, _ code: Int32) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)])
    }
}
