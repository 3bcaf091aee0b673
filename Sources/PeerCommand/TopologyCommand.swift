import Crypto
internal import Foundation
import Gossip

/// `peer topology`: generate, check and draw topology files.
enum TopologyCommand {
    static let command = Command(
        name: "topology",
        summary: "Generate, check and draw topology files.",
        usage: "peer topology <subcommand> [options]",
        subcommands: [generate, check, dot]
    )

    // MARK: - generate

    static let generate = Command(
        name: "generate",
        summary: "Write a topology file of a standard shape, with fresh keys.",
        usage: "peer topology generate KIND --peers N --out FILE [--host H] [--base-port P] [--keys-dir DIR] [--degree K] [--seed S] [--name NAME] [training options] [--force]",
        details: """
        KIND: \(TopologyGenerator.Kind.allCases.map(\.rawValue).joined(separator: ", "))
          torus needs N = rows x columns with both at least 3; random-regular needs
          N x K even and K < N.

        OPTIONS:
          --peers N               Number of peers (ids peer-1 ... peer-N).
          --out FILE              The topology file to write.
          --host H                Host of every peer (default 127.0.0.1).
          --base-port P           Peer i listens on P+i-1, its status on P+N+i-1 (default 7400).
          --keys-dir DIR          Write each peer's secret key to DIR/<id>.key (0600). Without it
                                  the secret keys are not kept and the file is only an example.
          --degree K              Degree of random-regular (default 3).
          --seed S                Seed of random-regular (default 1).
          --name NAME             The federation's name (default KIND-N).
          --force                 Replace FILE and key files that exist.

        TRAINING OPTIONS (the file's training section; defaults are the reference pipeline's):
          --model M               resnet18 (default) or small-cnn.
          --image-size S          Pixels per side (default 128).
          --rounds R              Rounds (default 20).
          --local-epochs E        Local epochs per round (default 1).
          --batch-size B          Images per batch (default 16).
          --optimizer O           sgd (default) or adam.
          --learning-rate LR      Initial learning rate (default 0.01).
          --training-seed S       Seed of M(0), batch order and augmentation (default 1).
          -h, --help              Show help information.
        """,
        run: runGenerate
    )

    static func runGenerate(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let peerCount = try arguments.integer("--peers", default: 0, in: 0...1000)
        let out = try arguments.required("--out", placeholder: "FILE")
        let host = try arguments.option("--host")
        let basePort = try arguments.integer("--base-port", default: 7400, in: 1...65535)
        let degree = try arguments.option("--degree")
        let seed = try arguments.integer("--seed", default: 1, in: 0...Int.max)
        let name = try arguments.option("--name")
        let keysDirectory = try arguments.option("--keys-dir")
        let force = try arguments.flag("--force")
        let defaults = TrainingSettings.defaults
        let training = TrainingSettings(
            model: try arguments.option("--model") ?? defaults.model,
            imageSize: try arguments.integer("--image-size", default: defaults.imageSize, in: 1...100_000),
            rounds: try arguments.integer("--rounds", default: defaults.rounds, in: 1...1_000_000),
            localEpochs: try arguments.integer("--local-epochs", default: defaults.localEpochs, in: 1...1_000_000),
            batchSize: try arguments.integer("--batch-size", default: defaults.batchSize, in: 1...1_000_000),
            optimizer: try arguments.option("--optimizer") ?? defaults.optimizer,
            learningRate: try arguments.number("--learning-rate", default: defaults.learningRate, in: 1e-12...1e6),
            seed: try arguments.integer("--training-seed", default: defaults.seed, in: 0...Int.max))
        let kindText = try arguments.operand("KIND")
        try arguments.finish()

        guard let kind = TopologyGenerator.Kind(rawValue: kindText) else {
            throw arguments.usage("unknown KIND '\(kindText)'; expected one of: " + TopologyGenerator.Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard peerCount > 0 else { throw arguments.usage("missing '--peers N'") }
        var request = TopologyGenerator.Request(kind: kind, peerCount: peerCount)
        request.host = host ?? request.host
        request.basePort = basePort
        request.seed = UInt64(seed)
        request.name = name
        request.training = training
        if let degree {
            guard kind == .randomRegular else { throw arguments.usage("'--degree' applies to random-regular only") }
            guard let value = Int(degree) else { throw arguments.usage("'--degree' must be an integer, got '\(degree)'") }
            request.degree = value
        }

        let output: TopologyGenerator.Output
        do {
            output = try TopologyGenerator.generate(request)
        } catch {
            throw arguments.usage(error.description)
        }
        if !force, FileManager.default.fileExists(atPath: out) {
            throw CommandFailure("\(out) already exists; choose another path or pass --force to replace it")
        }
        if let keysDirectory {
            try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            for identity in output.identities {
                try identity.key.write(toFile: "\(keysDirectory)/\(identity.id).key", replacing: force)
            }
        }
        try output.text.write(toFile: out, atomically: true, encoding: .utf8)
        console.diagnostic("wrote \(out): \(output.topology.peers.count) peers, \(output.topology.links.count) links, federation \(output.topology.federationID.short)\n")
        if let keysDirectory {
            console.diagnostic("wrote \(output.identities.count) secret keys to \(keysDirectory)/<id>.key (0600)\n")
        } else {
            console.diagnostic("note: secret keys were not kept (no --keys-dir); this file can be checked but not run\n")
        }
        return ExitStatus.success
    }

    // MARK: - check

    static let check = Command(
        name: "check",
        summary: "Validate a topology file and report its graph figures and warnings.",
        usage: "peer topology check FILE [--json]",
        details: """
        Reports peers, links, degrees, connectivity, diameter, the spectral gap of the
        Metropolis-Hastings gossip matrix, the depth of the aggregation tree, the threshold
        against the peer count, and privacy warnings. Exits 64 when the file is invalid,
        naming the field and the fix.

        OPTIONS:
          --json                  Print the report as JSON.
          -h, --help              Show help information.
        """,
        run: runCheck
    )

    static func runCheck(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let json = try arguments.flag("--json")
        let path = try arguments.operand("FILE")
        try arguments.finish()
        let topology = try TopologyParser.load(path)
        let analysis = TopologyAnalysis(topology)
        if json {
            console.json([
                "file": path, "name": topology.name, "federation": topology.federationID.hex, "valid": true,
                "peers": analysis.peerCount, "links": analysis.linkCount,
                "degree": ["min": analysis.minimumDegree, "mean": analysis.meanDegree, "max": analysis.maximumDegree],
                "connected": analysis.isConnected, "diameter": analysis.diameter,
                "spectralGap": analysis.spectralGap, "spectralGapEstimated": analysis.spectralGapIsEstimate,
                "treeDepth": ["min": analysis.treeDepthRange.lowerBound, "max": analysis.treeDepthRange.upperBound],
                "threshold": analysis.threshold, "quorum": analysis.quorum, "masking": analysis.masking.description,
                "warnings": analysis.warnings,
            ] as [String: Any])
        } else {
            var text = """
                \(path): valid topology '\(topology.name)', federation \(topology.federationID.short)
                  peers            \(analysis.peerCount)
                  links            \(analysis.linkCount)
                  degree           min \(analysis.minimumDegree), mean \(String(format: "%.2f", analysis.meanDegree)), max \(analysis.maximumDegree)
                  connected        \(analysis.isConnected ? "yes" : "no")
                  diameter         \(analysis.diameter)
                  spectral gap     \(String(format: "%.4f", analysis.spectralGap))\(analysis.spectralGapIsEstimate ? " (estimated)" : "") (Metropolis-Hastings)
                  tree depth       \(analysis.treeDepthRange.lowerBound)...\(analysis.treeDepthRange.upperBound) (depends on the round's coordinator)
                  threshold        \(analysis.threshold) of \(analysis.peerCount) peers, masking \(analysis.masking)
                  quorum           \(analysis.quorum) contributors complete a round (a strict majority: a partition cannot fork the model)

                """
            for warning in analysis.warnings { text += "warning: \(warning)\n" }
            console.output(text)
        }
        return ExitStatus.success
    }

    // MARK: - dot

    static let dot = Command(
        name: "dot",
        summary: "Print a topology as a Graphviz DOT graph.",
        usage: "peer topology dot FILE",
        details: """
        Render it with e.g. 'peer topology dot ring-4.json | dot -Tpng -o ring-4.png'.

        OPTIONS:
          -h, --help              Show help information.
        """,
        run: { arguments, console in
            let path = try arguments.operand("FILE")
            try arguments.finish()
            console.output(TopologyDot.text(try TopologyParser.load(path)))
            return ExitStatus.success
        }
    )
}
