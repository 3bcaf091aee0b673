import Crypto
import Gossip
import Learn
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

    /// `peer simulate --json` reports every round's agreement and the hash every survivor ended
    /// on; complete masking unmasks alone, regular masking with crashes shares the unmasking, and
    /// with `--rejoin` every crashed peer catches up on the round it missed.
    @Test(arguments: [(["--peers", "6"], "alone"),
                      (["--peers", "16", "--masking", "regular:4", "--threshold", "2", "--drop", "0.15", "--drop-phase", "tree-sum", "--rejoin"], "shared")])
    func simulateReportsTheAgreedAggregateHash(options: [String], unmasking: String) throws {
        let dump = directory + "/dump-\(unmasking)"
        let result = try PeerProcess.run(["simulate", "--dimension", "200", "--rounds", "2", "--seed", "3", "--json", "--dump", dump] + options)
        #expect(result.status == 0, "\(result.standardError)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]])
        #expect(reports.count == 2)
        for report in reports {
            #expect(report["survivorsAgree"] as? Bool == true && report["aborted"] as? Bool == false)
            #expect(report["unmasking"] as? String == unmasking)
            let hash = try #require(report["aggregateHash"] as? String)
            #expect(hash.count == 64 && hash.allSatisfy(\.isHexDigit))
            let rejoined = try #require(report["rejoined"] as? [String]), caughtUp = try #require(report["caughtUp"] as? [String])
            #expect(options.contains("--rejoin") ? !rejoined.isEmpty && caughtUp == rejoined : rejoined.isEmpty && caughtUp.isEmpty)
        }
        #expect(FileManager.default.fileExists(atPath: dump + "/round-2/contributors.json"))
    }

    /// `peer simulate --fault` runs the cases of docs/PROTOCOL.md, "One coordinator per round"
    /// and "Partitions", and every round says whether it forked or revealed both kinds of share.
    @Test(arguments: ["split-view:3", "partition"])
    func simulateInjectsAFaultAndReportsForksAndReveals(fault: String) throws {
        let result = try PeerProcess.run(["simulate", "--peers", "8", "--dimension", "100", "--rounds", "2", "--seed", "4", "--timeout", "1",
                                          "--masking", "regular:4", "--fault", fault, "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]])
        #expect(reports.count == 2)
        for report in reports {
            #expect(report["ownersWithBothSharesRevealed"] as? Int == 0)
            #expect((report["distinctAggregateHashes"] as? Int).map { $0 <= 1 } == true)
            #expect((report["residentBytes"] as? Int).map { $0 > 0 } == true)
        }
        #expect((reports[0]["fault"] as? String)?.isEmpty == false)
        #expect(reports.contains { $0["aborted"] as? Bool == false })
        let bad = try PeerProcess.run(["simulate", "--peers", "8", "--dimension", "10", "--fault", "split-view:0"])
        #expect(bad.status == 64 && bad.standardError.contains("'--fault' must be split-view:K"))
    }

    /// A long run keeps its memory flat: the resident memory after round 500 is within 10% of
    /// that after round 50 (a sleeping task kept per wait grew it by half).
    @Test func fiveHundredRoundsKeepTheResidentMemoryFlat() throws {
        let result = try PeerProcess.run(["simulate", "--rounds", "500", "--peers", "8", "--dimension", "1000", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]])
        try #require(reports.count == 500)
        let early = try #require(reports[49]["residentBytes"] as? Int), late = try #require(reports[499]["residentBytes"] as? Int)
        #expect(Double(late) <= 1.1 * Double(early), "\(early) bytes after round 50, \(late) after round 500")
        #expect(reports.allSatisfy { $0["aborted"] as? Bool == false })
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

    @Test func benchTransportReportsEveryFigure() throws {
        let result = try PeerProcess.run(["bench", "transport", "--megabytes", "4", "--repetitions", "1", "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        let figures = json?["figures"] as? [[String: Any]] ?? []
        #expect(figures.map { $0["name"] as? String } == ["raw secretstream sealing", "raw TCP on loopback", "encrypted channel (Transport)"])
        #expect(figures.allSatisfy { ($0["gigabytesPerSecond"] as? Double ?? 0) > 0 })
    }
}

/// `peer topology` as a user runs it.
@Suite struct TopologyCommandTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "topology-command-tests-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    @Test func generateWithKeysThenCheckAndDraw() throws {
        let file = directory + "/ring.json", keys = directory + "/keys"
        let generated = try PeerProcess.run(["topology", "generate", "ring", "--peers", "4", "--out", file, "--keys-dir", keys])
        #expect(generated.status == 0)
        // Every written secret key belongs to the peer the file pins.
        let topology = try TopologyParser.load(file)
        for peer in topology.peers {
            #expect(try IdentityKey(contentsOfFile: "\(keys)/\(peer.id).key").publicKey == peer.key)
        }
        let check = try PeerProcess.run(["topology", "check", file, "--json"])
        #expect(check.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(check.standardOutput.utf8)) as? [String: Any]
        #expect(report?["diameter"] as? Int == 2)
        #expect(report?["federation"] as? String == topology.federationID.hex)
        #expect(report?["quorum"] as? Int == 3) // a strict majority of 4
        let dot = try PeerProcess.run(["topology", "dot", file])
        #expect(dot.standardOutput.hasPrefix("graph \"ring-4\" {"))
        #expect(dot.standardOutput.components(separatedBy: " -- ").count == 5)
    }

    @Test func invalidFileExits64NamingTheField() throws {
        let file = directory + "/bad.json"
        let text = try TopologyGenerator.generate(.init(kind: .ring, peerCount: 4)).text
            .replacingOccurrences(of: "[\"peer-3\", \"peer-4\"]", with: "[\"peer-3\", \"peer-x\"]")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try PeerProcess.run(["topology", "check", file])
        #expect(result.status == 64)
        #expect(result.standardError.contains("\(file): links[2][1]: is not a peer of this file (got \"peer-x\")"))
    }

    @Test func impossibleShapesAndMissingFilesAreClearErrors() throws {
        let torus = try PeerProcess.run(["topology", "generate", "torus", "--peers", "10", "--out", directory + "/t.json"])
        #expect(torus.status == 64)
        #expect(torus.standardError.contains("torus needs rows x columns"))
        let missing = try PeerProcess.run(["topology", "check", directory + "/nope.json"])
        #expect(missing.status == 64)
        #expect(missing.standardError.contains("cannot be read"))
    }

    @Test func committedExamplesAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let examples = try FileManager.default.contentsOfDirectory(atPath: root.path + "/topologies").filter { $0.hasSuffix(".json") }
        #expect(examples.count >= 5)
        for example in examples {
            let result = try PeerProcess.run(["topology", "check", root.path + "/topologies/" + example])
            #expect(result.status == 0, "\(example): \(result.standardError)")
        }
    }
}

/// `peer model init` as a user runs it.
@Suite struct ModelCommandTests {
    @Test func initWritesACheckpointThatReadsBack() throws {
        let path = NSTemporaryDirectory() + "model-\(UUID().uuidString).safetensors"
        let result = try PeerProcess.run(["model", "init", "--model", "small-cnn", "--seed", "3", "--out", path, "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
        #expect(json?["parameters"] as? Int == 1289)
        let entries = try SafetensorsReader.read(contentsOf: path)
        #expect(entries.count == 14)
        #expect(entries.last?.name == "classifier.bias")
        // The same seed gives the same bytes; another seed does not.
        let again = NSTemporaryDirectory() + "model-\(UUID().uuidString).safetensors"
        _ = try PeerProcess.run(["model", "init", "--model", "small-cnn", "--seed", "3", "--out", again])
        #expect(FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: again))
        let refused = try PeerProcess.run(["model", "init", "--model", "small-cnn", "--seed", "4", "--out", path])
        #expect(refused.status == 1 && refused.standardError.contains("already exists"))
        let unknown = try PeerProcess.run(["model", "init", "--model", "vgg", "--seed", "1", "--out", path])
        #expect(unknown.status == 64)
    }
}

/// `peer model forward` on a checkpoint from `peer model init`.
@Suite struct ModelForwardTests {
    @Test func logitsForEveryImageAndStrictLoading() throws {
        let directory = NSTemporaryDirectory() + "forward-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let weights = directory + "/resnet18.safetensors", input = directory + "/input.safetensors", output = directory + "/logits.safetensors"
        #expect(try PeerProcess.run(["model", "init", "--model", "resnet18", "--seed", "1", "--out", weights]).status == 0)
        var generator = SeededGenerator(seed: 2)
        let images = (0..<(3 * 32 * 32)).map { _ in Float.random(in: 0...1, using: &generator) }
        try SafetensorsWriter.write([.init(name: "input", shape: [3, 1, 32, 32], values: images)], to: input)
        let result = try PeerProcess.run(["model", "forward", "--weights", weights, "--input", input, "--output", output])
        #expect(result.status == 0, "\(result.standardError)")
        let logits = try SafetensorsReader.read(contentsOf: output)
        #expect(logits.map(\.name) == ["logits"] && logits.first?.shape == [3, 1])
        if case .float32(let values) = logits.first?.values {
            #expect(values.allSatisfy { $0.isFinite } && Set(values).count == 3)
        } else {
            Issue.record("logits are not float32")
        }
        // A checkpoint of another model is refused, naming what does not fit.
        let small = directory + "/small.safetensors"
        _ = try PeerProcess.run(["model", "init", "--model", "small-cnn", "--seed", "1", "--out", small])
        let refused = try PeerProcess.run(["model", "forward", "--weights", small, "--input", input, "--output", output])
        #expect(refused.status == 64 && refused.standardError.contains("unexpected tensors"))
    }
}
