import Foundation

/// Runs the built `peer` executable as a user would and captures what it prints.
struct PeerProcess {
    let status: Int32
    let standardOutput: String
    let standardError: String

    /// The `peer` binary next to the test bundle (`swift build` puts both in one directory).
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("peer")

    /// Runs `peer arguments...` to completion; output goes through files, so no pipe can fill up.
    static func run(_ arguments: [String]) throws -> PeerProcess {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw MissingExecutable(path: executable.path)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("peer-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout"), errorURL = directory.appendingPathComponent("stderr")
        try Data().write(to: outputURL)
        try Data().write(to: errorURL)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        process.waitUntilExit()
        return PeerProcess(status: process.terminationStatus,
                           standardOutput: try String(contentsOf: outputURL, encoding: .utf8),
                           standardError: try String(contentsOf: errorURL, encoding: .utf8))
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing: run 'swift build' (make test does) before the tests" }
    }
}
