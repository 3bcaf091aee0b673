internal import Foundation
import Peer

/// A launch's fault plan while the federation runs: which injections have happened (each
/// printed with the instant the launch saw it), which peers a kill took down, and the restarts
/// still to do.
final class LaunchFaults {
    let plan: FaultPlan
    private(set) var observed: [FaultPlan.Injection: String] = [:]
    /// Peers a kill took and no restart has brought back: their last status is stale, their
    /// exit expected.
    private(set) var down: Set<String> = []

    init(_ plan: FaultPlan) {
        self.plan = plan
    }

    /// The options of `peer run` for `peer`'s kills and freezes that have not happened yet.
    func runArguments(for peer: String) -> [String] {
        plan.runArguments(for: peer, excluding: Array(observed.keys))
    }

    /// Notes the kills and freezes that happened since the last call and does the restarts
    /// that are due: a restart starts its peer again (with `start`) once that peer's process
    /// has ended and the other peers have reached the restart's round.
    func step(statuses: [String: NodeStatus], processes: [String: ChildProcess], console: Console,
              start: (String) throws -> Void) rethrows {
        for injection in plan.injections where observed[injection] == nil {
            guard let process = processes[injection.victim] else { continue }
            switch injection.kind {
            case .kill:
                guard let status = process.exitStatus else { continue }
                down.insert(injection.victim)
                note(injection, "exited with status \(status)", console: console)
            case .stop:
                guard let warning = statuses[injection.victim]?.warnings.first(where: { $0.hasPrefix("frozen") && $0.hasSuffix("of round \(injection.round) (--freeze-at)") }) else { continue }
                note(injection, warning, console: console)
            case .restart:
                let reached = statuses.filter { !down.contains($0.key) }.map(\.value.round).max() ?? 0
                guard !process.isRunning, reached >= injection.round else { continue }
                try start(injection.victim)
                down.remove(injection.victim)
                note(injection, "started again as the others reached round \(reached)", console: console)
            }
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
