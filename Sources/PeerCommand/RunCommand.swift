import Crypto
internal import Dispatch
internal import Foundation
import Gossip
import Learn
import Peer
import Synchronization

/// `peer run`: the long-running peer of one hospital.
enum RunCommand {
    static let command = Command(
        name: "run",
        summary: "Run this hospital's peer: train and aggregate securely with the neighbours, round after round.",
        usage: "peer run --topology FILE --id ID --key FILE --data DIR [--state DIR] [--init FILE.safetensors] [--status HOST:PORT] [--threads N] [--phase-timeout S] [--rounds R] [--log-format text|json] [--log-file FILE] [--linger] [--kill-at ROUND:PHASE[:BYTES]]... [--freeze-at ROUND:PHASE:SECONDS]...",
        details: """
        Each round the peer trains the topology's localEpochs on the training part of its data,
        starting from the federation's model M(r-1); aggregates its update (parameters and batch
        norm statistics) with its neighbours by secure aggregation over the authenticated
        transport, weighted by its sample count; sets M(r); evaluates it on its validation part
        (F1 at the validation-chosen threshold, AUC); writes the checkpoint of M(r) and a journal
        line to the state directory. Killed at any instant and started again with the same
        command, it resumes from its last complete round and catches up with its neighbours.

        OPTIONS:
          --topology FILE         The federation's topology file.
          --id ID                 This peer's id in it.
          --key FILE              This peer's secret key (mode 0600, from 'peer keygen').
          --data DIR              Its SIIM-ACR style directory (DICOM files and train-rle.csv),
                                  split by the topology's seed into 70% training, 15% validation.
          --state DIR             Checkpoints and journal (default ./state/ID).
          --init FILE             M(0) from a safetensors checkpoint of the topology's model
                                  (default: the model the topology's seed makes). Every peer must
                                  start from the same M(0).
          --status HOST:PORT      Serve the status endpoint here (default: this peer's status
                                  address in the topology; none when it has none). Firewall a
                                  non-loopback status address.
          --threads N             Threads for BLAS and for masks (default 1, so that several peers
                                  share a small host).
          --phase-timeout S       Seconds a protocol phase waits for the others (default 30).
          --log-format F          text (default) or json: one JSON object per line.
          --rounds R              Stop after round R (default: the topology's last); run again to go on.
          --log-file FILE         Append the log to FILE instead of standard error.
          --linger                After the last round stay up, serving status and catch-up, until
                                  stopped.
          --kill-at ROUND:PHASE   Fault rehearsal: kill this process (SIGKILL) as it enters PHASE
                                  (train, advertise, share-keys, masked-input, tree-sum, unmask,
                                  evaluate, checkpoint) of ROUND. ROUND:checkpoint:BYTES kills it
                                  once BYTES bytes of that round's optimiser state, checkpoint and
                                  journal line are written (each file's rename counts one byte).
                                  May be given for several rounds.
          --freeze-at ROUND:PHASE:SECONDS
                                  Fault rehearsal: stop this process (SIGSTOP) as it enters PHASE
                                  of ROUND, and continue it (SIGCONT) SECONDS later. May be given
                                  for several rounds.
          -h, --help              Show help information.

        SIGINT or SIGTERM stops the peer at the next safe point (it leaves a round in progress
        without revealing anything more) and exits 0.

        Exit status: 0 done or stopped; 1 a listening address is taken, the state could not be
        written (a full disk), or the federation started from another M(0); 64 bad input (the
        message names the file, the option and the fix).
        """,
        run: run
    )

    static func run(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let topologyPath = try arguments.required("--topology", placeholder: "FILE")
        let id = try arguments.required("--id", placeholder: "ID")
        let keyPath = try arguments.required("--key", placeholder: "FILE")
        let data = try arguments.required("--data", placeholder: "DIR")
        let statePath = try arguments.option("--state") ?? "state/\(id)"
        let initial = try arguments.option("--init")
        let statusText = try arguments.option("--status")
        let threads = try arguments.integer("--threads", default: 1, in: 1...64)
        let phaseTimeout = try arguments.number("--phase-timeout", default: 30, in: 0.5...3600)
        let formatName = try arguments.option("--log-format") ?? "text"
        let lastRound = try arguments.integer("--rounds", in: 1...Int(Int32.max))
        let logFile = try arguments.option("--log-file")
        let linger = try arguments.flag("--linger")
        let killAt = try arguments.options("--kill-at")
        let freezeAt = try arguments.options("--freeze-at")
        try arguments.finish()
        var faults: [PhaseFault] = []
        for text in killAt { faults.append(try phaseFault(text, option: "--kill-at", arguments: arguments)) }
        for text in freezeAt { faults.append(try phaseFault(text, option: "--freeze-at", arguments: arguments)) }
        guard let format = NodeLog.Format(rawValue: formatName) else { throw arguments.usage("unknown --log-format '\(formatName)'; expected text or json") }
        var statusAddress: PeerAddress?
        if let statusText {
            guard let address = PeerAddress(parsing: statusText) else { throw arguments.usage("--status '\(statusText)' is not HOST:PORT") }
            statusAddress = address
        }
        let topology = try TopologyParser.load(topologyPath)
        let identity: IdentityKey
        do {
            identity = try IdentityKey(contentsOfFile: keyPath)
        } catch {
            throw UsageError(message: "--key \(keyPath): \(error)", command: "peer run")
        }
        BLAS.setThreadCount(threads)
        var configuration = PeerNode.Configuration(topology: topology, topologyPath: topologyPath, id: id, identity: identity,
                                                   dataDirectory: data, stateDirectory: statePath)
        configuration.initialModel = initial
        configuration.statusAddress = statusAddress
        configuration.threads = threads
        configuration.linger = linger
        configuration.faults = faults
        configuration.lastRound = lastRound
        configuration.phaseTimeout = .milliseconds(Int(phaseTimeout * 1000))
        let log: NodeLog
        if let logFile {
            if !FileManager.default.fileExists(atPath: logFile) { _ = FileManager.default.createFile(atPath: logFile, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: logFile) else {
                throw UsageError(message: "--log-file \(logFile) cannot be written", command: "peer run")
            }
            handle.seekToEndOfFile()
            log = NodeLog(peer: id, format: format) { handle.write(Data($0.utf8)) }
        } else {
            log = NodeLog(peer: id, format: format)
        }
        // Signals are caught from the start: one that comes while the data is decoded stops the
        // node before it listens.
        let stop = StopRequest()
        let signals = StopSignals.handle { stop.request() }
        defer { signals.forEach { $0.cancel() } }
        do {
            let node = try PeerNode(configuration: configuration, log: log)
            guard stop.attach(node) else {
                log.event("stopped", "stopped before starting")
                return ExitStatus.success
            }
            try await node.run()
            return ExitStatus.success
        } catch {
            log.event("error", "error: \(error)", ["error": "\(error)"])
            return error.isInputError ? ExitStatus.usage : ExitStatus.failure
        }
    }

    /// `ROUND:PHASE` or `ROUND:checkpoint:BYTES` (`--kill-at`), or `ROUND:PHASE:SECONDS`
    /// (`--freeze-at`), as a fault.
    static func phaseFault(_ text: String, option: String, arguments: Arguments) throws(UsageError) -> PhaseFault {
        let freeze = option == "--freeze-at"
        let parts = text.split(separator: ":").map(String.init)
        let writing = !freeze && parts.count == 3 && parts[1] == "checkpoint"
        guard parts.count == (freeze || writing ? 3 : 2), let round = Int(parts[0]), round >= 1, PeerNode.phases.contains(parts[1]) else {
            let form = freeze ? "ROUND:PHASE:SECONDS" : "ROUND:PHASE or ROUND:checkpoint:BYTES"
            throw arguments.usage("\(option) '\(text)' is not \(form) with PHASE one of \(PeerNode.phases.joined(separator: ", "))")
        }
        if writing {
            guard let bytes = Int(parts[2]), bytes >= 0 else { throw arguments.usage("\(option) '\(text)': BYTES must be a whole number, 0 or more") }
            return PhaseFault(.killWhileWriting(bytes: bytes), round: round, phase: "checkpoint")
        }
        guard freeze else { return PhaseFault(.kill, round: round, phase: parts[1]) }
        guard let seconds = Double(parts[2]), (0.1...3600).contains(seconds) else {
            throw arguments.usage("\(option) '\(text)': SECONDS must be a number in 0.1...3600")
        }
        return PhaseFault(.freeze(seconds: seconds), round: round, phase: parts[1])
    }
}

/// A stop asked for by a signal, before or after the node exists.
final class StopRequest: Sendable {
    private let state = Mutex<(requested: Bool, node: PeerNode?)>((false, nil))

    /// Stops the node, or the node to come.
    func request() {
        let node = state.withLock { state in
            state.requested = true
            return state.node
        }
        node?.stop()
    }

    /// Hands the node over; false when a stop was asked for already.
    func attach(_ node: PeerNode) -> Bool {
        state.withLock { state in
            state.node = node
            return !state.requested
        }
    }
}
