import Foundation

/// Runs `executable` with `arguments` to completion, its input and output discarded, for the
/// tests' host set-up (ip, sshd, ssh-keygen, apt-get). Returns whether it exited 0.
@discardableResult
func runQuietly(_ executable: String, _ arguments: [String]) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}
