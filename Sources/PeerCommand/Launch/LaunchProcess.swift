internal import Foundation

/// Running a process of a launch to completion and keeping what it printed.
enum LaunchProcess {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// Runs `process` to completion, its output through temporary files (no pipe can fill up);
    /// one still running after `timeout` is killed and reported with status 124.
    static func capture(_ process: Process, timeout: TimeInterval = 300) -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peer-launch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let output = directory.appendingPathComponent("out"), error = directory.appendingPathComponent("err")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            FileManager.default.createFile(atPath: error.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = try FileHandle(forWritingTo: error)
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            var status: Int32 = 124
            if process.isRunning { kill(process.processIdentifier, SIGKILL) } else { status = process.terminationStatus }
            return Result(status: status, standardOutput: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
                          standardError: (try? String(contentsOf: error, encoding: .utf8)) ?? "")
        } catch {
            return Result(status: 127, standardOutput: "", standardError: "\(error)")
        }
    }
}
