internal import Foundation

/// Running a process of a launch to completion and keeping what it printed.
enum LaunchProcess {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// Runs `invocation` to completion, its output through temporary files (no pipe can fill
    /// up); one still running after `timeout` is killed and reported with status 124, one that
    /// cannot start with status 127.
    static func capture(_ invocation: ChildProcess.Invocation, timeout: TimeInterval = 300) -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peer-launch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let output = directory.appendingPathComponent("out"), error = directory.appendingPathComponent("err")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            _ = FileManager.default.createFile(atPath: error.path, contents: nil)
            let outputHandle = try FileHandle(forWritingTo: output), errorHandle = try FileHandle(forWritingTo: error)
            let child = try ChildProcess(invocation, output: outputHandle.fileDescriptor, error: errorHandle.fileDescriptor)
            try? outputHandle.close()
            try? errorHandle.close()
            let status: Int32
            if let ended = child.wait(timeout: timeout) {
                status = ended
            } else {
                child.signal(SIGKILL)
                _ = child.wait(timeout: 10)
                status = 124
            }
            return Result(status: status, standardOutput: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
                          standardError: (try? String(contentsOf: error, encoding: .utf8)) ?? "")
        } catch {
            return Result(status: 127, standardOutput: "", standardError: "\(error)")
        }
    }
}
