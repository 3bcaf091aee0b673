internal import Dispatch
internal import Foundation
import Gossip
import Peer
import Synchronization

/// `peer launch`: starts every peer of a topology, here and on other hosts, watches them, and
/// ends with a table.
enum LaunchCommand {
    static let command = Command(
        name: "launch",
        summary: "Start, watch and stop every peer of a topology, on this host and others.",
        usage: "peer launch FILE (--data-root DIR | --synthetic N [--positive-rate R]) --keys-dir DIR [--state-root DIR] [--remote TEMPLATE] [--rounds R] [--phase-timeout S] [--inject PLAN] [--dry-run] [--json]",
        details: """
        Peer ID runs with data DATA_ROOT/ID, key KEYS_DIR/ID.key (as 'peer topology generate
        --keys-dir' writes them), state STATE_ROOT/ID and log STATE_ROOT/ID/peer.log. A peer whose
        address is on this host runs as a child process; any other runs through TEMPLATE, where
        {host} becomes the peer's host and the 'peer ...' command line is appended ('ssh {host}',
        'ip netns exec {host}'): such a host needs 'peer' on its PATH and the files at the same
        paths. First a preflight on every host ('peer preflight': same version, same topology
        file, the key pinned for the peer, its data, free ports, a state directory no peer holds)
        names every failure, and nothing starts if one fails. The peers run with --linger; once
        all have finished, the table (rounds completed, contributed and dropped, validation F1
        and AUC, model hash) and 'peer status --all' are printed and every peer is stopped.
        Launching again on the same state root resumes every peer from its checkpoint.

        OPTIONS:
          --data-root DIR         Each peer's data is DIR/ID.
          --synthetic N           Each peer gets a synthetic hospital of N images with its own site
                                  profile, made under STATE_ROOT/data/ID (kept for a later launch).
          --positive-rate R       Fraction of a synthetic hospital's images with pneumothorax
                                  (default 0.22 as SIIM-ACR).
          --keys-dir DIR          Each peer's key is DIR/ID.key.
          --state-root DIR        Each peer's state is DIR/ID (default ./state).
          --remote TEMPLATE       How to run a command on another host; {host} is its host.
          --rounds R              Stop after round R (default: the topology's last).
          --phase-timeout S       Seconds a protocol phase waits for the others ('peer run
                                  --phase-timeout', default 30).
          --inject PLAN           Faults to inject, comma-separated (fault rehearsal):
                                    kill:WHO@ROUND:PHASE          SIGKILL as WHO enters PHASE
                                    kill:WHO@ROUND:checkpoint:BYTES
                                                                  SIGKILL after BYTES bytes of
                                                                  the round's state writes
                                    stop:WHO@ROUND:PHASE:SECONDS  SIGSTOP there, SIGCONT after SECONDS
                                    restart:ID@ROUND              start a killed peer again once
                                                                  the others reach ROUND
                                    cut:ID-ID@ROUND:PHASE         drop every packet between two
                                                                  neighbours from the first peer
                                                                  seen in PHASE of ROUND
                                    partition:ID,..|ID,..@ROUND[:PHASE]
                                                                  cut every link between parts
                                                                  (PHASE defaults to train)
                                    heal@ROUND[:PHASE]            undo every cut
                                  WHO is a peer id or a role in ROUND's tree: coordinator, inner
                                  or leaf (the first such peer in the round's coordinator order).
                                  PHASE: train, advertise, share-keys, masked-input, tree-sum,
                                  unmask, evaluate, checkpoint. A cut is a blackhole route on
                                  each peer's host ('ip route add blackhole OTHER/32' through
                                  --remote, as root; every cut is undone as the launch ends):
                                  both peers must run elsewhere, e.g. namespaces named after
                                  their addresses with --remote 'ip netns exec {host}'. A cut
                                  lands within about 0.2 s of the first peer seen in its phase
                                  (statuses are read five times a second while one is due).
          --dry-run               Print the preflight and the commands; start nothing.
          --json                  Print the final table as JSON.
          -h, --help              Show help information.

        Ctrl-C stops every peer, here and remote, and waits for them (exit 130). Exit status 1
        when the preflight fails, a peer fails, or the peers end on different models (a peer an
        injected kill took, and no restart brought back, counts neither as failed nor in the
        agreement).
        """,
        run: run
    )

    static func run(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let dataRootOption = try arguments.option("--data-root")
        let synthetic = try arguments.integer("--synthetic", in: 10...100_000)
        let positiveRate = try arguments.number("--positive-rate", in: 0...1)
        let keysDirectory = try arguments.required("--keys-dir", placeholder: "DIR")
        let stateRoot = try arguments.option("--state-root") ?? "state"
        let remote = try arguments.option("--remote")
        let rounds = try arguments.integer("--rounds", in: 1...Int(Int32.max))
        let phaseTimeout = try arguments.number("--phase-timeout", in: 0.5...3600)
        let inject = try arguments.option("--inject")
        let dryRun = try arguments.flag("--dry-run")
        let json = try arguments.flag("--json")
        let topologyPath = try arguments.operand("FILE")
        try arguments.finish()
        guard (dataRootOption == nil) != (synthetic == nil) else { throw arguments.usage("give --data-root DIR or --synthetic N") }
        guard positiveRate == nil || synthetic != nil else { throw arguments.usage("--positive-rate is for --synthetic hospitals") }
        if let remote, !remote.contains("{host}") { throw arguments.usage("--remote '\(remote)' has no {host}") }
        let topology = try TopologyParser.load(topologyPath)
        var faults = FaultPlan.none
        if let inject { faults = try FaultPlan(parsing: inject, topology: topology) }
        let absolute = { (path: String) in path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path }
        let plan = try LaunchPlan(topology: topology, topologyPath: absolute(topologyPath), dataRoot: absolute(dataRootOption ?? stateRoot + "/data"),
                                  keysDirectory: absolute(keysDirectory), stateRoot: absolute(stateRoot), remote: remote,
                                  peerBinary: URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path)
        try LaunchCuts.check(faults, plan: plan)
        let options = (rounds.map { ["--rounds", String($0)] } ?? []) + (phaseTimeout.map { ["--phase-timeout", String($0)] } ?? [])
        if let synthetic, !dryRun {
            try makeHospitals(plan, images: synthetic, positiveRate: positiveRate ?? 0.22, imageSize: topology.training.imageSize, console: console)
        }
        let failures = preflight(plan, federation: topology.federationID.hex, console: console)
        if dryRun {
            console.output("commands:\n")
            for member in plan.members {
                let arguments = plan.runArguments(member, options: options) + faults.runArguments(for: member.id)
                console.output("  " + plan.invocation(member, arguments).commandLine + "\n")
            }
            if !faults.injections.isEmpty { console.output("injections:\n") }
            for injection in faults.injections { console.output("  \(injection) falls on \(injection.victim)\n") }
            return failures == 0 ? ExitStatus.success : ExitStatus.failure
        }
        guard failures == 0 else {
            console.diagnostic("preflight: \(failures) check(s) failed; nothing was started\n")
            return ExitStatus.failure
        }
        let run = LaunchRun(plan: plan, options: options, faults: faults, console: console)
        return try await run.start(json: json)
    }

    /// Makes each peer's synthetic hospital where it is missing (site profile = peer number).
    static func makeHospitals(_ plan: LaunchPlan, images: Int, positiveRate: Double, imageSize: Int, console: Console) throws {
        let size = min(1024, max(128, 2 * imageSize))
        for (index, member) in plan.members.enumerated() {
            // Kept from an earlier launch when its labels are there (on the peer's host).
            let existing = LaunchProcess.capture(plan.invocation(member, ["data", "labels", member.data + "/train-rle.csv", "--json"]))
            if existing.status == 0 { continue }
            let arguments = ["data", "synth", "--out", member.data, "--images", String(images), "--size", String(size),
                             "--positive-rate", String(positiveRate), "--seed", String(index + 1), "--site", String(index + 1), "--force"]
            console.diagnostic("\(member.id): writing a synthetic hospital of \(images) images (site \(index + 1)) to \(member.data)\n")
            let result = LaunchProcess.capture(plan.invocation(member, arguments))
            guard result.status == 0 else {
                throw CommandFailure("\(member.id): 'peer data synth' failed (exit \(result.status)): \(result.standardError.suffix(500))")
            }
        }
    }

    /// Runs `peer preflight` for every member and prints what it found.
    /// - Returns: the number of failed checks.
    static func preflight(_ plan: LaunchPlan, federation: String, console: Console) -> Int {
        var failures = 0
        console.output("preflight:\n")
        for member in plan.members {
            let arguments = ["preflight", "--topology", plan.topologyPath, "--id", member.id, "--key", member.key, "--data", member.data,
                             "--state", member.state, "--json"]
            let result = LaunchProcess.capture(plan.invocation(member, arguments))
            let location = member.remote == nil ? "this host" : member.host
            guard let object = try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
                  let checks = object["checks"] as? [[String: Any]] else {
                let reason = result.status == 127 ? "'peer' is not on the PATH there" : "peer preflight exited \(result.status)"
                console.output("  FAIL \(member.id) on \(location): \(reason): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines).suffix(300))\n")
                failures += 1
                continue
            }
            var problems: [String] = []
            if let version = object["version"] as? String, version != PeerVersion.current {
                problems.append("peer \(version) there, \(PeerVersion.current) here")
            }
            if let theirs = object["federation"] as? String, theirs != federation {
                problems.append("its \(plan.topologyPath) is another topology file (federation \(theirs.prefix(12)), here \(federation.prefix(12)))")
            }
            for check in checks where check["ok"] as? Bool != true { problems.append("\(check["check"] ?? ""): \(check["detail"] ?? "")") }
            failures += problems.count
            console.output("  \(problems.isEmpty ? "ok  " : "FAIL") \(member.id) on \(location)" + (problems.isEmpty ? "" : ": " + problems.joined(separator: "; ")) + "\n")
        }
        return failures
    }
}
