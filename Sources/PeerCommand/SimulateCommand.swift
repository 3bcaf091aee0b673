import Crypto
internal import Foundation
import Gossip
import Learn
import Peer

/// `peer simulate`: secure aggregation rounds among N in-process peers.
enum SimulateCommand {
    static let command = Command(
        name: "simulate",
        summary: "Run secure aggregation rounds among N simulated peers, with drops, and check them.",
        usage: "peer simulate --peers N --dimension D [--drop F --drop-phase PHASE] [--masking complete|regular:K] [--threshold T] [--rounds R] [--rejoin] [--fault split-view:K|partition] [--seed S] [--topology FILE] [--ring-bits 32|64] [--timeout SECONDS] [--dump DIR] [--json] [--verbose]",
        details: """
        Runs N protocol instances in one process over an in-memory network, each with a random
        input vector of D values in [-1, 1] and a weight in [0.1, 1] drawn from the seed. Checks
        that every surviving peer holds the same unmasked sum and that the decoded aggregate is
        the weighted average of exactly the contributors' inputs, within the fixed-point bound.

        OPTIONS:
          --peers N               Number of peers (2...2000); ignored with --topology.
          --dimension D           Values per input vector.
          --drop F                Fraction of peers to crash per round (0...0.9), never the coordinator.
          --drop-phase PHASE      \(Simulation.phases.joined(separator: ", ")) or random (default).
          --masking M             complete or regular:K (default: the topology's, complete up to 100 peers).
          --threshold T           Shamir threshold (default: a strict majority, capped by the mask degree + 1).
          --rounds R              Rounds to run (default 1).
          --rejoin                After each round, restart the peers that crashed in it: each catches
                                  up on the round from a neighbour (checked against the coordinator's
                                  signed Total and Outcome) and takes part in the next round.
          --fault split-view:K    At the start of every round, K peers chosen by the seed do not see the
                                  round's first coordinator candidate as alive (messages still flow);
                                  they see it again as they leave the advertise phase.
          --fault partition       As the first round's tree sum begins, cut the topology into two
                                  connected parts (a bare majority of the peers and the rest) for the rest
                                  of the run.
          --seed S                Seed of inputs, drops, faults and the generated topology (default 1).
          --topology FILE         Use this topology's peers, links and settings (fresh keys are made);
                                  default: a random 4-regular graph (complete below 5 peers).
          --ring-bits B           32 or 64 (default: the topology's, 32).
          --timeout SECONDS       Phase timeout (default 10).
          --dump DIR              Write DIR/round-R/<peer>.safetensors (input, weight, aggregate) and
                                  DIR/round-R/contributors.json for an outside check.
          --json                  Print the reports as JSON.
          --verbose               Print every peer's log lines (refusals, re-parenting, aborts) to stderr.
          -h, --help              Show help information.

        Every round reports how many different aggregate hashes its completed peers ended on
        (distinctAggregateHashes: more than one is a fork) and for how many owners both kinds of
        share were revealed anywhere (ownersWithBothSharesRevealed: must be 0), and the process's
        resident memory after it.

        Exit status 1 when survivors disagree, the aggregate misses the bound, a round forks or
        reveals both shares of an owner, or (with --rejoin) a restarted peer of a completed round
        does not catch up on its aggregate.
        """,
        run: run
    )

    static func run(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let peerCount = try arguments.integer("--peers", default: 0, in: 0...2000)
        let dimension = try arguments.integer("--dimension", default: 0, in: 0...50_000_000)
        let drop = try arguments.number("--drop", default: 0, in: 0...0.9)
        let dropPhase = try arguments.option("--drop-phase") ?? "random"
        let maskingText = try arguments.option("--masking")
        let thresholdText = try arguments.option("--threshold")
        let rounds = try arguments.integer("--rounds", default: 1, in: 1...1000)
        let rejoin = try arguments.flag("--rejoin")
        let faultText = try arguments.option("--fault")
        let seed = try arguments.integer("--seed", default: 1, in: 0...Int.max)
        let topologyPath = try arguments.option("--topology")
        let ringBitsText = try arguments.option("--ring-bits")
        let timeout = try arguments.integer("--timeout", default: 10, in: 1...3600)
        let dump = try arguments.option("--dump")
        let json = try arguments.flag("--json")
        let verbose = try arguments.flag("--verbose")
        try arguments.finish()

        guard dimension > 0 else { throw arguments.usage("missing '--dimension D' (at least 1)") }
        guard topologyPath != nil || peerCount >= 2 else { throw arguments.usage("missing '--peers N' (at least 2) or '--topology FILE'") }
        guard dropPhase == "random" || Simulation.phases.contains(dropPhase) else {
            throw arguments.usage("unknown --drop-phase '\(dropPhase)'; expected random or one of: \(Simulation.phases.joined(separator: ", "))")
        }
        let masking = try maskingText.map { text throws(UsageError) -> AggregationSettings.Masking in
            guard let masking = AggregationSettings.Masking(text: text) else { throw arguments.usage("'--masking' must be complete or regular:K, got '\(text)'") }
            return masking
        }
        let threshold = try thresholdText.map { text throws(UsageError) -> Int in
            guard let value = Int(text), value >= 2 else { throw arguments.usage("'--threshold' must be an integer of at least 2, got '\(text)'") }
            return value
        }
        let fault = try faultText.map { text throws(UsageError) -> Simulation.Fault in
            guard let fault = Simulation.Fault(text: text) else {
                throw arguments.usage("'--fault' must be split-view:K (K at least 1) or partition, got '\(text)'")
            }
            return fault
        }
        let ringBits = try ringBitsText.map { text throws(UsageError) -> Int in
            guard text == "32" || text == "64" else { throw arguments.usage("'--ring-bits' must be 32 or 64, got '\(text)'") }
            return Int(text)!
        }

        let (topology, identities) = try makeTopology(path: topologyPath, peerCount: peerCount, seed: UInt64(seed), masking: masking,
                                                      threshold: threshold, ringBits: ringBits)
        var request = Simulation.Request(topology: topology, identities: identities, dimension: dimension)
        request.dropFraction = drop
        request.dropPhase = dropPhase
        request.seed = UInt64(seed)
        request.rounds = rounds
        request.rejoin = rejoin
        request.fault = fault
        request.keepsOutcomes = dump != nil
        request.phaseTimeout = .seconds(timeout)
        console.diagnostic("simulate: \(topology.peers.count) peers, \(topology.links.count) links, masking \(topology.aggregation.masking), threshold \(topology.aggregation.threshold), \(topology.aggregation.ringBits)-bit ring, dimension \(dimension)\n")
        let progress: @Sendable (String) -> Void = { console.diagnostic("simulate: \($0)\n") }
        let log: @Sendable (String) -> Void = { line in if verbose { console.diagnostic(line + "\n") } }
        let reports = try await Simulation.run(request, progress: progress, log: log)
        if let dump { try write(reports, request: request, to: dump, console: console) }
        if json {
            console.json(reports.map(jsonObject))
        } else {
            for report in reports { console.output(text(report)) }
        }
        let faithful = reports.allSatisfy { report in
            report.survivorsAgree && report.maximumError <= report.errorBound && report.distinctAggregateHashes <= 1
                && report.ownersWithBothSharesRevealed == 0
                && (report.abortReason != nil || report.caughtUp.count == report.rejoined.count)
        }
        return faithful ? ExitStatus.success : ExitStatus.failure
    }

    /// The topology to simulate, with fresh identities for its peers.
    static func makeTopology(path: String?, peerCount: Int, seed: UInt64, masking: AggregationSettings.Masking?, threshold: Int?,
                             ringBits: Int?) throws -> (Topology, [String: IdentityKey]) {
        let base: Topology
        if let path {
            base = try TopologyParser.load(path)
        } else {
            var request = TopologyGenerator.Request(kind: peerCount < 5 ? .complete : .randomRegular, peerCount: peerCount)
            request.degree = 4
            request.seed = seed
            do { base = try TopologyGenerator.generate(request).topology } catch { throw UsageError(message: "\(error)", command: "peer simulate") }
        }
        let identities = Dictionary(uniqueKeysWithValues: base.peers.map { ($0.id, IdentityKey()) })
        let peers = base.peers.map { Topology.Peer(id: $0.id, address: $0.address, status: $0.status, key: identities[$0.id]!.publicKey) }
        let defaults = base.aggregation
        let chosenMasking = masking ?? defaults.masking
        let chosenThreshold = threshold
            ?? (masking == nil ? defaults.threshold : AggregationSettings.defaultThreshold(peerCount: peers.count, masking: chosenMasking))
        let settings = AggregationSettings(threshold: chosenThreshold, masking: chosenMasking,
                                           ringBits: ringBits ?? defaults.ringBits, fractionBits: defaults.fractionBits,
                                           clip: defaults.clip, maxWeight: defaults.maxWeight)
        let text = TopologyWriter.text(name: base.name, peers: peers, links: base.links, aggregation: settings, training: base.training)
        return (try TopologyParser.parse(Array(text.utf8), file: path ?? "generated topology"), identities)
    }

    static func text(_ report: Simulation.RoundReport) -> String {
        let status = report.abortReason.map { "ABORTED: \($0)" } ?? "completed"
        let phases = report.phaseSeconds.map { String(format: "%@ %.3f s", $0.phase as NSString, $0.seconds) }.joined(separator: ", ")
        return """
            round \(report.round): coordinator \(report.coordinator), \(report.contributors.count) contributors, \(report.dropped.count) dropped (\(report.crashed.count) crashed), \(status)
              phases (slowest peer): \(phases)
              wall \(String(format: "%.3f", report.wallSeconds)) s; bytes sent per peer mean \(bytes(report.bytesSentMean)), max \(bytes(Double(report.bytesSentMax))); keystream expanded per peer \(bytes(report.maskBytesMean))
              unmasking: \(report.sharedUnmasking ? "shared among helpers nearest the coordinator" : "every peer alone"); aggregate hash \(report.aggregateHash.map { String($0.hexString.prefix(16)) } ?? "-")
              survivors agree: \(report.survivorsAgree ? "yes" : "NO"); largest error vs the plaintext weighted average \(String(format: "%.2e", report.maximumError)) (bound \(String(format: "%.2e", report.errorBound)))
              one model: \(report.distinctAggregateHashes <= 1 ? "yes" : "NO, \(report.distinctAggregateHashes) aggregate hashes") (coordinators followed: \(report.coordinatorsFollowed.joined(separator: ", "))); owners with both shares revealed: \(report.ownersWithBothSharesRevealed)
            \(report.fault.map { "  fault: \($0)\n" } ?? "")\(report.rejoined.isEmpty ? "" : "  rejoined: \(report.rejoined.count) crashed peers restarted, \(report.caughtUp.count) caught up on the aggregate from a neighbour\n")
            """
    }

    static func bytes(_ count: Double) -> String {
        count >= 1_048_576 ? String(format: "%.1f MiB", count / 1_048_576) : String(format: "%.1f KiB", count / 1024)
    }

    static func jsonObject(_ report: Simulation.RoundReport) -> [String: Any] {
        [
            "round": report.round, "coordinator": report.coordinator, "contributors": report.contributors, "dropped": report.dropped,
            "crashed": report.crashed, "aborted": report.abortReason != nil, "abortReason": report.abortReason ?? NSNull(),
            "phaseSeconds": Dictionary(uniqueKeysWithValues: report.phaseSeconds.map { ($0.phase, $0.seconds) }),
            "wallSeconds": report.wallSeconds, "bytesSentPerPeer": ["mean": report.bytesSentMean, "max": report.bytesSentMax],
            "keystreamBytesPerPeer": report.maskBytesMean, "survivorsAgree": report.survivorsAgree,
            "unmasking": report.sharedUnmasking ? "shared" : "alone", "aggregateHash": report.aggregateHash?.hexString ?? NSNull(),
            "maximumError": report.maximumError, "errorBound": report.errorBound,
            "rejoined": report.rejoined, "caughtUp": report.caughtUp,
            "distinctAggregateHashes": report.distinctAggregateHashes, "ownersWithBothSharesRevealed": report.ownersWithBothSharesRevealed,
            "coordinatorsFollowed": report.coordinatorsFollowed, "fault": report.fault ?? NSNull(),
            "residentBytes": report.residentBytes ?? NSNull(),
        ]
    }

    /// DIR/round-R/<peer>.safetensors with `input`, `weight` and (for survivors) `aggregate`.
    static func write(_ reports: [Simulation.RoundReport], request: Simulation.Request, to directory: String, console: Console) throws {
        for report in reports {
            let folder = "\(directory)/round-\(report.round)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let data = Simulation.inputs(peers: Array(report.outcomes.keys).sorted(), dimension: request.dimension, seed: request.seed,
                                         round: report.round)
            for (peer, outcome) in report.outcomes {
                let (input, weight) = data[peer]!
                var tensors = [SafetensorsWriter.Tensor(name: "input", shape: [input.count], values: input),
                               SafetensorsWriter.Tensor(name: "weight", shape: [], values: [Float(weight)])]
                if let average = outcome.average { tensors.append(.init(name: "aggregate", shape: [average.count], values: average)) }
                try SafetensorsWriter.write(tensors, to: "\(folder)/\(peer).safetensors")
            }
            let manifest: [String: Any] = ["round": report.round, "contributors": report.contributors, "dropped": report.dropped,
                                           "errorBound": report.errorBound]
            try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: "\(folder)/contributors.json"))
        }
        console.diagnostic("simulate: wrote \(directory)/round-*/\n")
    }
}
