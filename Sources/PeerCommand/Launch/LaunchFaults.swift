internal import Foundation
import Peer

/// A launch's fault plan while the federation runs: which injections have happened (each
/// printed with the instant the launch saw it), which peers a kill took down, the restarts
/// still to do, and the links cut.
final class LaunchFaults {
    let plan: FaultPlan
    let cuts: LaunchCuts
    private(set) var observed: [FaultPlan.Injection: String] = [:]
    /// Peers a kill took and no restart has brought back: their last status is stale, their
    /// exit expected.
    private(set) var down: Set<String> = []

    init(_ plan: FaultPlan, launch: LaunchPlan) {
        self.plan = plan
        cuts = LaunchCuts(plan: launch)
    }

    /// Whether a cut or heal is still to come: the launch then watches the peers more often,
    /// so that it lands close to the phase it is planned for.
    var networkPending: Bool {
        plan.injections.contains { $0.networkPhase != nil && observed[$0] == nil }
    }

    /// The options of `peer run` for `peer`'s kills and freezes that have not happened yet.
    func runArguments(for peer: String) -> [String] {
        plan.runArguments(for: peer, excluding: Array(observed.keys))
    }

    /// Notes the kills and freezes that happened since the last call and does the restarts,
    /// cuts and heals that are due: a restart starts its peer again (with `start`) once that
    /// peer's process has ended and the other peers have reached the restart's round; a cut or
    /// heal happens once the first peer is seen in its phase of its round, or past it.
    func step(statuses: [String: NodeStatus], processes: [String: ChildProcess], console: Console,
              start: (String) throws -> Void) rethrows {
        for injection in plan.injections where observed[injection] == nil {
            let process = processes[injection.victim]
            switch injection.kind {
            case .kill:
                guard let status = process?.exitStatus else { continue }
                down.insert(injection.victim)
                note(injection, "exited with status \(status)", console: console)
            case .stop(let phase, _):
                guard let freeze = statuses[injection.victim]?.freezes?.first(where: { $0.round == injection.round && $0.phase == phase }) else { continue }
                note(injection, "frozen \(freeze.seconds) s as it entered \(freeze.phase) of round \(freeze.round)", console: console)
            case .restart:
                let reached = statuses.filter { !down.contains($0.key) }.map(\.value.round).max() ?? 0
                guard let process, !process.isRunning, reached >= injection.round else { continue }
                try start(injection.victim)
                down.remove(injection.victim)
                note(injection, "started again as the others reached round \(reached)", console: console)
            case .cut(_, let phase), .partition(_, let phase), .heal(let phase):
                guard reached(injection.round, phase, statuses) else { continue }
                let links = injection.links
                let problems = links.isEmpty ? cuts.healAll() : cuts.cut(links)
                let done = links.isEmpty ? "every route it put on taken off" : "\(links.count) link(s) dropping every packet both ways"
                note(injection, problems.isEmpty ? done : "failed: " + problems.joined(separator: "; "), console: console)
            }
        }
    }

    /// Whether a peer that a kill did not take is in `phase` of `round`, or past it.
    private func reached(_ round: Int, _ phase: String, _ statuses: [String: NodeStatus]) -> Bool {
        let target = PeerNode.phases.firstIndex(of: phase) ?? 0
        return statuses.filter { !down.contains($0.key) }.values.contains { status in
            status.lastCommittedRound >= round
                || (status.round == round && status.phase.flatMap { PeerNode.phases.firstIndex(of: $0) }.map { $0 >= target } == true)
        }
    }

    /// Whether a restart is still to come for a peer whose process has ended.
    func restartPending(_ processes: [String: ChildProcess]) -> Bool {
        plan.injections.contains { injection in
            injection.kind == .restart && observed[injection] == nil && processes[injection.victim]?.isRunning == false
        }
    }

    private func note(_ injection: FaultPlan.Injection, _ what: String, console: Console) {
        let line = "\(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))) \(injection) on \(injection.victim): \(what)"
        observed[injection] = line
        console.diagnostic("inject: \(line)\n")
    }
}
