public import Crypto
public import Gossip
import Synchronization

/// The simulated network of `peer simulate` and the tests: every peer in one process,
/// broadcast delivered to every live peer, direct messages only along topology links, and a
/// global view of who has crashed, which faults can split (a peer wrongly seen as down by some,
/// a partition). Authentication is by construction (the hub attributes each
/// message to its sender). Byte counts model flooding: each peer forwards each broadcast once
/// over each of its links.
public final class InMemoryNetwork<Word: RingWord>: Sendable {
    private struct State {
        var peers: [String: SecureAggregationPeer<Word>] = [:]
        var dead: Set<String> = []
        var bytesSent: [String: Int] = [:]
        var observer: (@Sendable (_ from: String, _ to: String?, _ bytes: [UInt8]) -> Void)?
        /// Peers each viewer sees as down though they are not (messages still flow).
        var hidden: [String: Set<String>] = [:]
        /// Crashed peers each viewer still sees as alive (it has no view of them).
        var ghosts: [String: Set<String>] = [:]
        /// While partitioned: the part each peer is in. No message crosses between parts.
        var part: [String: Int] = [:]
        /// Per recipient, which broadcasts to it are held back (by sender and bytes), and those held.
        var holding: [String: @Sendable (String, [UInt8]) -> Bool] = [:]
        var held: [(to: String, from: String, bytes: [UInt8])] = []

        func connected(_ a: String, _ b: String) -> Bool { part[a] == part[b] }
    }

    public let topology: Topology
    private let state = Mutex(State())

    public init(topology: Topology) {
        self.topology = topology
    }

    /// The network interface of one peer.
    public func endpoint(_ id: String) -> any RoundNetwork { Endpoint(hub: self, id: id) }

    public func attach(_ peer: SecureAggregationPeer<Word>) {
        state.withLock { $0.peers[peer.id] = peer }
    }

    /// Crashes `id`: it stops, nothing more reaches it or leaves it, and the others learn it
    /// is down (as their failure detectors would).
    public func crash(_ id: String) {
        let (crashed, others) = state.withLock { state in
            state.dead.insert(id)
            return (state.peers[id], Array(state.peers.values))
        }
        crashed?.stop()
        for peer in others { peer.livenessChanged() }
    }

    /// Brings a crashed peer back as `peer` (a new instance under the same id, as a restarted
    /// process would be): messages reach it again and the others learn it is up.
    public func rejoin(_ peer: SecureAggregationPeer<Word>) {
        let others = state.withLock { state in
            state.dead.remove(peer.id)
            state.peers[peer.id] = peer
            return state.peers.values.filter { $0.id != peer.id }
        }
        for other in others { other.livenessChanged() }
    }

    public func isLive(_ id: String) -> Bool { state.withLock { !$0.dead.contains(id) } }

    /// Whether `viewer` sees `id` as alive: not crashed, not hidden from it, in its part.
    public func isLive(_ id: String, seenBy viewer: String) -> Bool {
        state.withLock { state in
            if state.ghosts[viewer]?.contains(id) == true { return true }
            return !state.dead.contains(id) && state.hidden[viewer]?.contains(id) != true && state.connected(viewer, id)
        }
    }

    /// Whether `viewer` watches `id` first-hand: everyone does, except where
    /// `keepSeeingAlive` gave it a view that is not its own.
    func watches(_ id: String, viewer: String) -> Bool {
        state.withLock { $0.ghosts[viewer]?.contains(id) != true }
    }

    /// Makes `peer` look down to each of `viewers`, though messages between them still flow:
    /// a split liveness view, as when a restarted peer's links have not all come back.
    public func hide(_ peer: String, from viewers: some Sequence<String>) {
        state.withLock { state in
            for viewer in viewers { state.hidden[viewer, default: []].insert(peer) }
        }
    }

    /// Makes `peer`, crashed or not, look alive to each of `viewers`: on the real transport a
    /// peer that is not a neighbour has no view of a crash and counts the crashed peer as alive.
    public func keepSeeingAlive(_ peer: String, from viewers: some Sequence<String>) {
        state.withLock { state in
            for viewer in viewers { state.ghosts[viewer, default: []].insert(peer) }
        }
    }

    /// Ends the split view of `viewer`: it sees every peer as it is again.
    public func restoreView(of viewer: String) {
        let peer = state.withLock { state in
            state.hidden.removeValue(forKey: viewer) == nil && state.ghosts.removeValue(forKey: viewer) == nil ? nil : state.peers[viewer]
        }
        peer?.livenessChanged()
    }

    /// Cuts the network into `parts` (every peer in one): nothing crosses from one part to
    /// another, and each peer sees the peers of other parts as down.
    public func partition(_ parts: [Set<String>]) {
        let everyone = state.withLock { state in
            state.part = [:]
            for (index, members) in parts.enumerated() { for id in members { state.part[id] = index } }
            return Array(state.peers.values)
        }
        for peer in everyone { peer.livenessChanged() }
    }

    /// Sees every message that leaves a peer (`to` is nil for a broadcast): what an observer
    /// of all the traffic would see.
    public func observe(_ observer: @escaping @Sendable (_ from: String, _ to: String?, _ bytes: [UInt8]) -> Void) {
        state.withLock { $0.observer = observer }
    }

    /// Holds back the broadcasts to `peer` that `matches` picks (by sender and bytes), in order,
    /// until `release(to:)`: messages in flight longer than the others, as when two rosters cross.
    public func hold(to peer: String, _ matches: @escaping @Sendable (_ from: String, _ bytes: [UInt8]) -> Bool) {
        state.withLock { $0.holding[peer] = matches }
    }

    /// Delivers to `peer` what was held back for it, and holds nothing more.
    public func release(to peer: String) async {
        let held = state.withLock { state in
            state.holding[peer] = nil
            defer { state.held.removeAll { $0.to == peer } }
            return state.held.filter { $0.to == peer }
        }
        guard let recipient = state.withLock({ $0.peers[peer] }) else { return }
        for message in held { await recipient.receive(message.bytes, from: message.from) }
    }

    /// Bytes each peer has sent so far.
    public var bytesSent: [String: Int] { state.withLock { $0.bytesSent } }

    fileprivate func broadcast(_ bytes: [UInt8], from id: String) async {
        let recipients: [SecureAggregationPeer<Word>] = state.withLock { state in
            guard !state.dead.contains(id) else { return [] }
            state.observer?(id, nil, bytes)
            for peer in topology.peers where !state.dead.contains(peer.id) && state.connected(id, peer.id) {
                state.bytesSent[peer.id, default: 0] += bytes.count * (topology.neighbours[peer.id]?.count ?? 0)
            }
            let reached = state.peers.values.filter { $0.id != id && !state.dead.contains($0.id) && state.connected(id, $0.id) }
            let holding = state.holding
            let holds = { (peer: SecureAggregationPeer<Word>) in holding[peer.id]?(id, bytes) == true }
            for peer in reached where holds(peer) { state.held.append((peer.id, id, bytes)) }
            return reached.filter { !holds($0) }
        }
        // Decoded once: every recipient shares the same storage.
        guard let message = try? RoundMessage<Word>.decode(bytes, peerLimit: topology.peers.count, wordLimit: 1 << 28) else {
            for peer in recipients { await peer.receive(bytes, from: id) }
            return
        }
        for peer in recipients { await peer.receive(message, bytes: bytes, from: id) }
    }

    fileprivate func send(_ bytes: [UInt8], from id: String, to target: String) async -> Bool {
        let recipient: SecureAggregationPeer<Word>? = state.withLock { state in
            guard !state.dead.contains(id), !state.dead.contains(target), state.connected(id, target),
                  topology.areNeighbours(id, target) else { return nil }
            state.bytesSent[id, default: 0] += bytes.count
            state.observer?(id, target, bytes)
            return state.peers[target]
        }
        guard let recipient else { return false }
        await recipient.receive(bytes, from: id)
        return true
    }

    private struct Endpoint: RoundNetwork {
        let hub: InMemoryNetwork
        let id: String

        func broadcast(_ message: [UInt8]) async { await hub.broadcast(message, from: id) }
        func send(_ message: [UInt8], to peer: String) async -> Bool { await hub.send(message, from: id, to: peer) }
        func isLive(_ peer: String) -> Bool { hub.isLive(peer, seenBy: id) }
        func watches(_ peer: String) -> Bool { hub.watches(peer, viewer: id) }
    }
}
