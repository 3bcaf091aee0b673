import Foundation
import Testing

/// The systemd unit in deploy/ is one systemd accepts: no unknown key, no missing binary.
@Suite struct DeploymentTests {
    static let analyzer = "/usr/bin/systemd-analyze"

    /// deploy/peer.service, with the built binary in place of /usr/local/bin/peer.
    private func unit(replacing key: String? = nil) throws -> String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var text = try String(contentsOf: repository.appendingPathComponent("deploy/peer.service"), encoding: .utf8)
        text = text.replacingOccurrences(of: "/usr/local/bin/peer", with: PeerProcess.executable.path)
        if let key { text = text.replacingOccurrences(of: key + "=", with: key.dropLast() + "=") }
        let directory = NSTemporaryDirectory() + "peer-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/peer.service"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func verify(_ path: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.analyzer)
        process.arguments = ["verify", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyzer), "systemd-analyze is not installed here"))
    func theServiceUnitVerifies() throws {
        let good = try verify(try unit())
        #expect(good.status == 0 && good.output.isEmpty, "\(good.output)")
        // The check can fail: a misspelt key is reported.
        let broken = try verify(try unit(replacing: "KillSignal"))
        #expect(broken.output.contains("Unknown key"), "\(broken.output)")
    }
}
