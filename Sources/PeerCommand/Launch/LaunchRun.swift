internal import Dispatch
internal import Foundation
import Gossip
import Peer
import Synchronization

/// The peers of one launch while they run: started, watched through their status endpoints
/// (one live line on a terminal, plain lines otherwise), faults injected as planned, then
/// tabled and stopped; Ctrl-C stops them all at any time.
final class LaunchRun: @unchecked Sendable {
    private let plan: LaunchPlan
    /// The options of `peer run` every peer gets.
    private let options: [String]
    private let console: Console
    private let faults: LaunchFaults
    private var processes: [String: ChildProcess] = [:]
    private let interrupted = Atomic<Bool>(false)

    init(plan: LaunchPlan, options: [String], faults: FaultPlan, console: Console) {
        self.plan = plan
        self.options = options
        self.faults = LaunchFaults(faults, launch: plan)
        self.console = console
    }

    /// Starts every peer, waits until all have finished (or failed, or Ctrl-C), prints the
    /// table and `peer status --all`, stops every peer.
    /// - Returns: the exit status.
    func start(json: Bool) async throws -> Int32 {
        let signals = StopSignals.handle { [self] in interrupted.store(true, ordering: .releasing) }
        defer { signals.forEach { $0.cancel() } }
        for member in plan.members { try startPeer(member.id) }
        console.diagnostic("started \(plan.members.count) peers; logs in STATE/ID/peer.log\n")
        let statuses = await watch()
        for problem in faults.cuts.healAll() { console.diagnostic("inject: a cut could not be healed: \(problem)\n") }
        let stoppedEarly = interrupted.load(ordering: .acquiring)
        let exits = stopAll()
        // A peer an injected kill took (and no restart brought back) is expected down: its
        // exit is no failure and its stale status takes no part in the agreement.
        let survivors = statuses.filter { !faults.down.contains($0.key) }
        let failed = plan.members.filter { member in
            !faults.down.contains(member.id) && (statuses[member.id] == nil || (exits[member.id].map { $0 != 0 } ?? false))
        }
        let table = LaunchTable(plan: plan, statuses: survivors, down: faults.down, injections: faults.plan.injections.map { ($0, faults.observed[$0]) })
        console.output(json ? table.json(exits: exits, interrupted: stoppedEarly) : table.text)
        if stoppedEarly {
            console.diagnostic("interrupted: every peer was stopped\n")
            return 130
        }
        return failed.isEmpty && table.agree ? ExitStatus.success : ExitStatus.failure
    }

    /// Starts `peer run` for peer `id` with its injections still to come; what its process
    /// prints besides its log (a usage error, a remote shell's complaint) is appended to
    /// STATE/ID/launch.log.
    private func startPeer(_ id: String) throws {
        guard let member = plan.members.first(where: { $0.id == id }) else { return }
        try FileManager.default.createDirectory(atPath: member.state, withIntermediateDirectories: true)
        let output = member.state + "/launch.log"
        if !FileManager.default.fileExists(atPath: output) { _ = FileManager.default.createFile(atPath: output, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        defer { try? handle.close() }
        try handle.seekToEnd()
        processes[id] = try ChildProcess(plan.invocation(member, plan.runArguments(member, options: options) + faults.runArguments(for: id)),
                                         output: handle.fileDescriptor, error: handle.fileDescriptor)
    }

    /// Polls every peer's status each second (five times a second while a cut is due) until every peer has finished or exited, or the
    /// launch is interrupted. Returns each peer's last status (the peers linger meanwhile).
    private func watch() async -> [String: NodeStatus] {
        let targets = plan.members.compactMap { member in member.status.map { (id: member.id, address: $0) } }
        var last: [String: NodeStatus] = [:]
        let line = ProgressLine(console: console)
        while !interrupted.load(ordering: .acquiring) {
            for answer in await StatusCommand.ask(targets) { if let status = answer.status { last[answer.id] = status } }
            do {
                try faults.step(statuses: last, processes: processes, console: console, start: startPeer)
            } catch {
                console.diagnostic("inject: a restart failed: \(error)\n")
            }
            let exited = plan.members.filter { processes[$0.id]?.isRunning == false }.map(\.id)
            let done = !faults.restartPending(processes) && plan.members.allSatisfy { last[$0.id]?.state == .finished || exited.contains($0.id) }
            line.show(Self.progress(last, members: plan.members.count, exited: exited))
            if done { break }
            try? await Task.sleep(for: faults.networkPending ? .milliseconds(200) : .seconds(1))
        }
        line.finish()
        if !interrupted.load(ordering: .acquiring) {
            let all = await StatusCommand.ask(targets)
            for answer in all { if let status = answer.status { last[answer.id] = status } }
            console.output("\n" + StatusTable.text(all.map { ($0.id, $0.status, $0.problem) }, all: true))
        }
        return last
    }

    /// One line: the least advanced peer's round and phase, peers up, an ETA.
    static func progress(_ statuses: [String: NodeStatus], members: Int, exited: [String]) -> String {
        guard let slowest = statuses.values.min(by: { $0.lastCommittedRound < $1.lastCommittedRound }) else {
            return "starting \(members) peers"
        }
        let durations = slowest.history.compactMap { $0.seconds["total"] }
        let left = max(0, slowest.rounds - slowest.lastCommittedRound)
        let eta = durations.isEmpty ? "" : String(format: ", ETA %.0f s", durations.reduce(0, +) / Double(durations.count) * Double(left))
        let phase = slowest.phase.map { " \($0)" } ?? ""
        return "round \(min(slowest.round, slowest.rounds))/\(slowest.rounds)\(phase), \(statuses.count - exited.count)/\(members) peers up\(eta)"
            + (exited.isEmpty ? "" : ", exited: \(exited.joined(separator: ", "))")
    }

    /// Stops every peer and waits for each, SIGKILL after a minute: a local one with SIGTERM, a
    /// remote one with `peer stop` on its host, so that its remote command ends by itself and
    /// its exit status comes back (SIGTERM to the remote command's client, such as ssh, only
    /// when that fails). Returns each exit status (128 + signal when killed).
    private func stopAll() -> [String: Int32] {
        for member in plan.members {
            guard let process = processes[member.id], process.isRunning else { continue }
            if member.remote == nil || LaunchProcess.capture(plan.invocation(member, ["stop", "--state", member.state]), timeout: 90).status != 0 {
                process.signal(SIGTERM)
            }
        }
        var exits: [String: Int32] = [:]
        let deadline = Date().addingTimeInterval(60)
        for member in plan.members {
            guard let process = processes[member.id] else { continue }
            if let status = process.wait(timeout: deadline.timeIntervalSinceNow) {
                exits[member.id] = status
                continue
            }
            process.signal(SIGKILL)
            if process.wait(timeout: 10) == nil {
                console.diagnostic("\(member.id): its process \(process.pid) did not end after SIGKILL\n")
            }
            exits[member.id] = 128 + SIGKILL
        }
        return exits
    }
}
