import Gossip
import Peer

/// The faults a launch injects into its own federation (`peer launch --inject PLAN`): a peer
/// killed or frozen exactly as it enters a phase of a round, a killed peer started again, links
/// cut and the federation partitioned (hosts reached through `--remote`), cuts healed.
///
/// PLAN is a comma-separated list of `kill:WHO@ROUND:PHASE`, `stop:WHO@ROUND:PHASE:SECONDS`,
/// `restart:WHO@ROUND`, `cut:ID-ID@ROUND:PHASE`, `partition:ID,ID|ID,ID@ROUND[:PHASE]` and
/// `heal@ROUND[:PHASE]`, where WHO is a peer id or a role in that round's aggregation tree
/// (`coordinator`, `inner`, `leaf`). A role is resolved before the launch starts, from the
/// coordinator order and the tree every peer computes, over the peers expected in that round
/// (all, less those killed in an earlier round and not restarted before it).
struct FaultPlan: Equatable {
    enum Target: Hashable, CustomStringConvertible {
        case peer(String)
        case role(Role)

        var description: String {
            switch self {
            case .peer(let id): id
            case .role(let role): role.rawValue
            }
        }
    }

    enum Role: String, CaseIterable, Hashable {
        case coordinator, inner, leaf
    }

    enum Kind: Hashable {
        /// At phase entry, or (`checkpoint` only) once that many bytes of its writes are written.
        case kill(phase: String, afterBytes: Int?)
        case stop(phase: String, seconds: Double)
        case restart
        /// The link between two neighbours, both ways.
        case cut(Link, phase: String)
        /// Every link between peers of different parts.
        case partition([[String]], phase: String)
        /// Every cut so far undone.
        case heal(phase: String)
    }

    /// Two peers whose packets to each other a cut drops.
    struct Link: Hashable, CustomStringConvertible {
        let first: String, second: String

        var description: String { "\(first)-\(second)" }
    }

    /// One injection as asked, and the peer it falls on.
    struct Injection: Hashable, CustomStringConvertible {
        let kind: Kind
        let target: Target
        let round: Int
        /// The peer id: `target` itself, or the peer holding the role in `round`.
        var victim: String

        var description: String {
            switch kind {
            case .kill(let phase, let bytes): "kill:\(target)@\(round):\(phase)" + (bytes.map { ":\($0)" } ?? "")
            case .stop(let phase, let seconds): "stop:\(target)@\(round):\(phase):\(Self.number(seconds))"
            case .restart: "restart:\(target)@\(round)"
            case .cut(let link, let phase): "cut:\(link)@\(round):\(phase)"
            case .partition(let parts, let phase): "partition:\(parts.map { $0.joined(separator: ",") }.joined(separator: "|"))@\(round):\(phase)"
            case .heal(let phase): "heal@\(round):\(phase)"
            }
        }

        /// The phase of `round` it happens at, for the cuts and heals the launch does once the
        /// first peer gets there; nil for the others.
        var networkPhase: String? {
            switch kind {
            case .cut(_, let phase), .partition(_, let phase), .heal(let phase): phase
            case .kill, .stop, .restart: nil
            }
        }

        /// The links a cut or partition drops.
        var links: [Link] {
            switch kind {
            case .cut(let link, _): [link]
            case .partition(let parts, _):
                parts.enumerated().flatMap { index, part in
                    parts.dropFirst(index + 1).flatMap { other in part.flatMap { a in other.map { Link(first: a, second: $0) } } }
                }
            case .kill, .stop, .restart, .heal: []
            }
        }

        /// `--kill-at` or `--freeze-at` for `peer run`; nil for a restart, which the launch does.
        var runArguments: [String]? {
            switch kind {
            case .kill(let phase, let bytes): ["--kill-at", "\(round):\(phase)" + (bytes.map { ":\($0)" } ?? "")]
            case .stop(let phase, let seconds): ["--freeze-at", "\(round):\(phase):\(Self.number(seconds))"]
            case .restart, .cut, .partition, .heal: nil
            }
        }

        private static func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
    }

    let injections: [Injection]

    /// No faults.
    static let none = FaultPlan(injections: [])

    private init(injections: [Injection]) {
        self.injections = injections
    }

    /// Parses `text` against `topology` and resolves every role.
    /// - Throws: `UsageError` naming the part of PLAN that is wrong and what it should be.
    init(parsing text: String, topology: Topology) throws(UsageError) {
        var parsed: [Injection] = []
        for part in Self.split(text) {
            parsed.append(try Self.parse(part, topology: topology))
        }
        let ordered = parsed.enumerated().sorted { ($0.element.round, $0.offset) < ($1.element.round, $1.offset) }.map(\.element)
        var resolved: [Injection] = []
        for var injection in ordered {
            if case .role(let role) = injection.target {
                let expected = Self.expected(in: injection.round, topology: topology, before: resolved)
                guard let victim = Self.holder(of: role, round: injection.round, members: expected, topology: topology) else {
                    throw Self.usage("\(injection): no peer is \(role == .inner ? "an inner node" : "a \(role.rawValue)") of round \(injection.round)'s tree")
                }
                injection.victim = victim
            }
            resolved.append(injection)
        }
        injections = resolved
    }

    /// The injections `peer run` does itself (kills and freezes) for `peer`, as its options.
    func runArguments(for peer: String, excluding done: [Injection] = []) -> [String] {
        injections.filter { $0.victim == peer && !done.contains($0) }.compactMap(\.runArguments).flatMap { $0 }
    }

    /// The injections of `text`: split at commas, except those inside a partition's parts.
    private static func split(_ text: String) -> [String] {
        let starts = ["kill:", "stop:", "restart:", "cut:", "partition:", "heal@"]
        var parts: [String] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if let last = parts.last, last.hasPrefix("partition:"), !last.contains("@"), !starts.contains(where: piece.hasPrefix) {
                parts[parts.count - 1] += "," + piece
            } else {
                parts.append(piece)
            }
        }
        return parts
    }

    static let syntax = "kill:WHO@ROUND:PHASE, kill:WHO@ROUND:checkpoint:BYTES, stop:WHO@ROUND:PHASE:SECONDS, restart:WHO@ROUND, cut:ID-ID@ROUND:PHASE, partition:ID,ID|ID,ID@ROUND[:PHASE] or heal@ROUND[:PHASE]"

    private static func parse(_ part: String, topology: Topology) throws(UsageError) -> Injection {
        if let network = try parseNetwork(part, topology: topology) { return network }
        guard let colon = part.firstIndex(of: ":"), let at = part.firstIndex(of: "@"), colon < at else {
            throw usage("'\(part)' is not one of \(syntax)")
        }
        let action = String(part[..<colon]), who = String(part[part.index(after: colon)..<at])
        let when = part[part.index(after: at)...].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let target: Target
        if let role = Role(rawValue: who) {
            target = .role(role)
        } else if topology.peer(who) != nil {
            target = .peer(who)
        } else {
            throw usage("'\(part)': \(who) is neither a peer of the topology nor a role (coordinator, inner, leaf)")
        }
        let round = try Self.round(when[0], of: part, topology: topology)
        let kind: Kind
        switch (action, when.count) {
        case ("kill", 2):
            kind = .kill(phase: when[1], afterBytes: nil)
        case ("kill", 3) where when[1] == "checkpoint":
            guard let bytes = Int(when[2]), bytes >= 0 else { throw usage("'\(part)': BYTES must be a whole number, 0 or more") }
            kind = .kill(phase: when[1], afterBytes: bytes)
        case ("stop", 3):
            guard let seconds = Double(when[2]), (0.1...3600).contains(seconds) else {
                throw usage("'\(part)': SECONDS must be a number in 0.1...3600")
            }
            kind = .stop(phase: when[1], seconds: seconds)
        case ("restart", 1):
            kind = .restart
        default:
            throw usage("'\(part)' is not one of \(syntax)")
        }
        switch kind {
        case .kill(let phase, _), .stop(let phase, _):
            try checkPhase(phase, of: part)
        case .restart:
            guard case .peer = target else { throw usage("'\(part)': restart takes a peer id (the one a kill took)") }
        case .cut, .partition, .heal:
            break
        }
        return Injection(kind: kind, target: target, round: round, victim: who)
    }

    /// The peers expected to take part in `round`: every peer, less those an injection killed
    /// in an earlier round and no restart brought back before `round`.
    private static func expected(in round: Int, topology: Topology, before earlier: [Injection]) -> [String] {
        var gone: Set<String> = []
        for injection in earlier where injection.round < round {
            switch injection.kind {
            case .kill: gone.insert(injection.victim)
            case .stop, .cut, .partition, .heal: break
            case .restart: gone.remove(injection.victim)
            }
        }
        return topology.peers.map(\.id).filter { !gone.contains($0) }
    }

    /// The peer holding `role` in `round` among `members`: the coordinator (the first of the
    /// coordinator order), else the first in that order that is an inner node (it has
    /// children) or a leaf (it has none) of the tree from the coordinator.
    static func holder(of role: Role, round: Int, members: [String], topology: Topology) -> String? {
        let order = RoundStructure.coordinatorOrder(round: UInt64(round), peers: members)
        guard let root = order.first else { return nil }
        guard role != .coordinator else { return root }
        let tree = RoundStructure.Tree(topology: topology, members: Set(members), root: root)
        return order.dropFirst().first { peer in
            tree.depth[peer] != nil && (tree.children[peer]?.isEmpty ?? true) == (role == .leaf)
        }
    }

    /// ROUND of `part`, a round of the topology.
    static func round(_ text: String, of part: String, topology: Topology) throws(UsageError) -> Int {
        guard let round = Int(text), (1...topology.training.rounds).contains(round) else {
            throw usage("'\(part)': ROUND must be a round of the topology, 1...\(topology.training.rounds)")
        }
        return round
    }

    static func checkPhase(_ phase: String, of part: String) throws(UsageError) {
        guard PeerNode.phases.contains(phase) else { throw usage("'\(part)': PHASE must be one of \(PeerNode.phases.joined(separator: ", "))") }
    }

    static func usage(_ message: String) -> UsageError {
        UsageError(message: "--inject: " + message, command: "peer launch")
    }
}
