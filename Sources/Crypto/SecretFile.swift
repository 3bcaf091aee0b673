internal import Foundation

/// Reading and writing files that hold secrets: created 0600, written atomically (temporary
/// file, fsync, rename), refused on read when group or others can read them.
enum SecretFile {
    /// Secret files are small; anything larger is not one of ours and is not read.
    static let maximumByteCount = 4096

    /// Writes `contents` to `path` with mode 0600, atomically.
    /// - Parameter replacing: whether an existing file may be replaced.
    /// - Throws: `CryptoError.fileExists` or `.fileSystem` with the failing operation.
    static func write(_ contents: UnsafeRawBufferPointer, to path: String, replacing: Bool) throws(CryptoError) {
        if !replacing, access(path, F_OK) == 0 { throw .fileExists(path: path) }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .fileSystem(operation: "create", path: temporary, errno: errno) }
        var failure: CryptoError?
        if fchmod(descriptor, 0o600) != 0 {
            failure = .fileSystem(operation: "chmod", path: temporary, errno: errno)
        }
        var written = 0
        while failure == nil, written < contents.count {
            let result = Glibc.write(descriptor, contents.baseAddress! + written, contents.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                failure = .fileSystem(operation: "write", path: temporary, errno: errno)
            } else {
                written += result
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = .fileSystem(operation: "fsync", path: temporary, errno: errno) }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = .fileSystem(operation: "rename to", path: path, errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        syncDirectory(of: path)
    }

    /// Reads a secret file after checking that only its owner can read it.
    /// - Throws: `CryptoError.insecureKeyFile`, `.malformedKeyFile` (too large, not a regular
    ///   file) or `.fileSystem`.
    static func read(_ path: String) throws(CryptoError) -> SecureBytes {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .fileSystem(operation: "open", path: path, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .fileSystem(operation: "stat", path: path, errno: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .malformedKeyFile(path: path, reason: "not a regular file") }
        guard status.st_mode & 0o077 == 0 else { throw .insecureKeyFile(path: path, mode: UInt32(status.st_mode)) }
        let size = Int(status.st_size)
        guard size <= maximumByteCount else {
            throw .malformedKeyFile(path: path, reason: "\(size) bytes, a key file has at most \(maximumByteCount)")
        }
        var readError: Int32 = 0
        let contents = SecureBytes(count: size) { buffer in
            var done = 0
            while done < size {
                let result = Glibc.read(descriptor, buffer.baseAddress! + done, size - done)
                if result < 0, errno == EINTR { continue }
                if result <= 0 { readError = result < 0 ? errno : EIO; return }
                done += result
            }
        }
        guard readError == 0 else { throw .fileSystem(operation: "read", path: path, errno: readError) }
        return contents
    }

    /// Makes the rename durable; failure here only weakens durability, so it is not reported.
    private static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
