internal import Foundation

/// The blackhole routes a launch puts on its peers' hosts to cut links between them
/// (`--inject cut:...` and `partition:...`), and takes off again (`heal`, and always before the
/// launch ends). A cut link drops every packet both ways, as a failed switch would: the peers'
/// connection stays open and their failure detectors notice the silence.
final class LaunchCuts {
    /// A route on `member`'s host dropping packets to `destination`.
    struct Route: Hashable {
        let member: String
        let destination: String
    }

    private let plan: LaunchPlan
    private(set) var routes: Set<Route> = []

    init(plan: LaunchPlan) {
        self.plan = plan
    }

    /// Checks that every link `faults` cuts joins peers on hosts of their own reached through
    /// the remote template (a route on this host would cut it from every peer).
    /// - Throws: `UsageError` naming the link and what to do.
    static func check(_ faults: FaultPlan, plan: LaunchPlan) throws(UsageError) {
        for injection in faults.injections {
            for link in injection.links {
                let members = [link.first, link.second].compactMap { id in plan.members.first { $0.id == id } }
                if let local = members.first(where: { $0.remote == nil }) {
                    throw UsageError(message: "--inject: \(injection) needs \(local.id) on a host of its own, reached through --remote; it runs on this host (for network namespaces named after the peers' addresses, --remote 'ip netns exec {host}')",
                                     command: "peer launch")
                }
                if members.count == 2, members[0].host == members[1].host {
                    throw UsageError(message: "--inject: \(injection): \(link.first) and \(link.second) share the host \(members[0].host), which no route can cut",
                                     command: "peer launch")
                }
            }
        }
    }

    /// Drops the packets of every link of `links` both ways.
    /// - Returns: what failed, one line each.
    func cut(_ links: [FaultPlan.Link]) -> [String] {
        var problems: [String] = []
        for link in links {
            for (from, to) in [(link.first, link.second), (link.second, link.first)] {
                guard let source = member(from), let destination = member(to)?.host else { continue }
                let route = Route(member: from, destination: destination)
                guard !routes.contains(route) else { continue }
                if let problem = run(source, ["ip", "route", "add", "blackhole", destination + "/32"]) {
                    problems.append(problem)
                } else {
                    routes.insert(route)
                }
            }
        }
        return problems
    }

    /// Takes off every route this launch put on.
    /// - Returns: what failed, one line each.
    func healAll() -> [String] {
        var problems: [String] = []
        for route in routes.sorted(by: { ($0.member, $0.destination) < ($1.member, $1.destination) }) {
            guard let member = member(route.member) else { continue }
            if let problem = run(member, ["ip", "route", "del", "blackhole", route.destination + "/32"]) {
                problems.append(problem)
            } else {
                routes.remove(route)
            }
        }
        return problems
    }

    private func member(_ id: String) -> LaunchPlan.Member? { plan.members.first { $0.id == id } }

    /// Runs `words` on `member`'s host; what went wrong, or nil.
    private func run(_ member: LaunchPlan.Member, _ words: [String]) -> String? {
        guard let invocation = plan.remoteInvocation(member, words) else { return "\(member.id) runs on this host" }
        let result = LaunchProcess.capture(invocation, timeout: 60)
        guard result.status != 0 else { return nil }
        return "\(invocation.commandLine) exited \(result.status): \(result.standardError.trimmingCharacters(in: .whitespacesAndNewlines).suffix(200))"
    }
}
