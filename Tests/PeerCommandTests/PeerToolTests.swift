import Crypto
import Foundation
import Peer
import Testing
@testable import PeerCommand

/// The `peer` executable as a user meets it: real processes, real files, exit codes.
@Suite struct PeerToolTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "peer-tool-tests-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test func helpAndVersion() throws {
        let help = try PeerProcess.run(["--help"])
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("USAGE: peer <subcommand>"))
        #expect(help.standardOutput.contains("keygen"))
        let version = try PeerProcess.run(["--version"])
        #expect(version.status == 0)
        #expect(version.standardOutput == PeerVersion.current + "\n")
    }

    /// Every command of the tree answers -h and --help on stdout with exit 0.
    @Test func everyCommandHasHelp() throws {
        func paths(_ command: Command, prefix: [String]) -> [[String]] {
            [prefix] + command.subcommands.flatMap { paths($0, prefix: prefix + [$0.name]) }
        }
        for path in paths(PeerTool.root, prefix: []) {
            for flag in ["--help", "-h"] {
                let result = try PeerProcess.run(path + [flag])
                #expect(result.status == 0, "peer \(path.joined(separator: " ")) \(flag)")
                #expect(result.standardOutput.hasPrefix("OVERVIEW: "))
                #expect(result.standardError.isEmpty)
            }
        }
    }

    @Test(arguments: [["--frob"], [], ["keygen"], ["keygen", "--out"], ["keygen", "--out", "x", "extra"], ["nonsense"], ["bench"],
                      ["bench", "crypto", "--words", "0"]])
    func usageErrorsExit64WithAMessage(arguments: [String]) throws {
        let result = try PeerProcess.run(arguments)
        #expect(result.status == 64)
        #expect(result.standardError.hasPrefix("error: "))
        #expect(result.standardError.contains("--help"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test func keygenWritesAPrivateKeyWhosePublicKeyItPrints() throws {
        let path = directory + "/hospital-a.key"
        let result = try PeerProcess.run(["keygen", "--out", path])
        #expect(result.status == 0)
        let printed = try IdentityPublicKey(text: result.standardOutput.trimmingCharacters(in: .newlines))
        #expect(try IdentityKey(contentsOfFile: path).publicKey == printed)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
    }

    @Test func keygenKeepsAnExistingKeyUnlessForced() throws {
        let path = directory + "/existing.key"
        let first = try PeerProcess.run(["keygen", "--out", path])
        let refused = try PeerProcess.run(["keygen", "--out", path])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("already exists"))
        #expect(try IdentityKey(contentsOfFile: path).publicKey.text + "\n" == first.standardOutput)
        let forced = try PeerProcess.run(["keygen", "--out", path, "--force", "--json"])
        #expect(forced.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(forced.standardOutput.utf8)) as? [String: String]
        #expect(json?["path"] == path)
        #expect(json?["publicKey"] == (try IdentityKey(contentsOfFile: path).publicKey.text))
    }

    @Test func benchCryptoReportsEveryFigure() throws {
        let out = directory + "/crypto.md"
        let result = try PeerProcess.run(["bench", "crypto", "--words", "70000", "--repetitions", "1", "--json", "--out", out])
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let figures = json?["figures"] as? [[String: Any]] ?? []
        #expect(figures.count == 5)
        #expect(figures.allSatisfy { ($0["gigabytesPerSecond"] as? Double ?? 0) > 0 })
        let markdown = try String(contentsOfFile: out, encoding: .utf8)
        #expect(markdown.contains("| mask UInt64, 2 thread(s) | 2 |"))
    }
}
