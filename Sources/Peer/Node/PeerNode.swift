public import Crypto
internal import Foundation
public import Gossip
import Learn
import Synchronization

/// The long-running peer a hospital starts (`peer run`): it trains, aggregates securely with its
/// neighbours round after round, checkpoints and journals every round, serves its status, and
/// resumes where it stopped after being killed. It owns its tasks and stops them.
public final class PeerNode: Sendable {
    /// What a node runs with.
    public struct Configuration: Sendable {
        public var topology: Topology
        public var topologyPath: String
        public var id: String
        public var identity: IdentityKey
        public var dataDirectory: String
        public var stateDirectory: String
        /// A safetensors file with M(0), instead of the model the topology's seed makes.
        public var initialModel: String?
        /// Where to serve the status endpoint (the topology's `status` address when nil).
        public var statusAddress: PeerAddress?
        /// Threads for BLAS and for masks.
        public var threads = 1
        /// Stay up after the last round, serving status and catch-up, until stopped.
        public var linger = false
        /// Stop after this round (at most the topology's last); a later run goes on from it.
        public var lastRound: Int?
        /// The protocol's phase timeout; a peer training slower than the others by more than
        /// this misses the round and catches up.
        public var phaseTimeout: Duration = .seconds(30)
        public var transport = TransportConfiguration()
        /// Fault rehearsal: what the process does to itself as it enters a phase of a round.
        public var faults: [PhaseFault] = []

        public init(topology: Topology, topologyPath: String, id: String, identity: IdentityKey, dataDirectory: String, stateDirectory: String) {
            self.topology = topology
            self.topologyPath = topologyPath
            self.id = id
            self.identity = identity
            self.dataDirectory = dataDirectory
            self.stateDirectory = stateDirectory
        }
    }

    /// The model chain as this peer holds it: what it serves to neighbours that fell behind.
    /// Of the journal it keeps what it answers with (the rest stays on disk, so that its memory
    /// does not grow round by round): the start, the newest entry, the newest signed one.
    struct Chain: Sendable {
        let start: JournalEntry
        private(set) var last: JournalEntry
        private(set) var lastSigned: JournalEntry?
        var model: ModelState
        var modelHash: [UInt8]
        /// The round being run, 0 between rounds, and what this peer is doing with it.
        var running = 0
        var activity = SyncMessage.Activity.idle
        /// While recovering the round: hops to the nearest peer still aggregating or committing it.
        var progress = SyncMessage.Head.unreachable
        var committed: Int { last.round }

        /// The chain of `entries` (the journal from its start entry on) at `model`.
        init(entries: [JournalEntry], model: ModelState, modelHash: [UInt8]) {
            start = entries[0]
            last = entries[entries.count - 1]
            lastSigned = entries.last { $0.signedOutcome != nil }
            self.model = model
            self.modelHash = modelHash
        }

        /// Takes `entry`, just journaled, and the model it names.
        mutating func append(_ entry: JournalEntry, model: ModelState, hash: [UInt8]) {
            last = entry
            if entry.signedOutcome != nil { lastSigned = entry }
            self.model = model
            modelHash = hash
        }
    }

    let configuration: Configuration
    let log: NodeLog
    let state: StateDirectory
    private let lock: StateLock
    let transport: Transport
    let aggregator: SecureAggregationPeer<UInt32>
    let sync: NodeSync
    /// Sync messages refused, by sender.
    let syncRefusals: PeerCounts
    let training: NodeTraining
    let chain: Mutex<Chain>
    let status: Mutex<LiveStatus>
    private let stopping = Atomic<Bool>(false)
    private let stopWaiters = Mutex<[UUID: CheckedContinuation<Void, Never>]>([:])
    private let statusServer: HTTPServer?

    var topology: Topology { configuration.topology }
    /// The last round this run goes to.
    var finalRound: Int { min(configuration.lastRound ?? topology.training.rounds, topology.training.rounds) }
    var id: String { configuration.id }

    /// Checks everything the node needs before anything listens: the key against the pinned
    /// one, the data, the state directory and its journal, M(0).
    /// - Throws: `NodeError`.
    public init(configuration: Configuration, log: NodeLog) throws(NodeError) {
        self.configuration = configuration
        self.log = log
        let topology = configuration.topology, id = configuration.id
        guard let me = topology.peer(id) else {
            throw .input(what: configuration.topologyPath, problem: "has no peer '\(id)'",
                         fix: "use one of: \(topology.peers.map(\.id).joined(separator: ", "))")
        }
        guard me.key == configuration.identity.publicKey else {
            throw .input(what: "--key", problem: "its public key \(configuration.identity.publicKey.text) is not the one \(configuration.topologyPath) pins for \(id) (\(me.key.text))",
                         fix: "pass the key file made for \(id), or pin its public key in the topology")
        }
        state = try StateDirectory(path: configuration.stateDirectory)
        lock = try StateLock(directory: configuration.stateDirectory)
        state.removeTemporaryFiles()
        training = try NodeTraining(directory: configuration.dataDirectory, settings: topology.training) { part, done, total in
            if done == total { log.event("data", "decoded \(total) \(part) images", ["part": part, "images": total]) }
        }
        let start = try Self.startingModel(configuration, model: training.session.model)
        let entries = try state.journal.entries()
        if let started = entries.first?.federation, started != topology.federationID.hex {
            throw .state(path: state.path, problem: "belongs to federation \(started.prefix(12)), not \(topology.federationID.short) of \(configuration.topologyPath)",
                         fix: "give this federation's state directory, or a fresh --state")
        }
        var (model, kept) = try Self.resumePoint(entries, state: state, start: start, initialModel: configuration.initialModel)
        let modelHash = Blake2b.hash(model.safetensors)
        if kept.isEmpty {
            let bytes = model.safetensors
            let file = try state.writeCheckpoint(round: 0, model: bytes, optimizer: nil)
            var entry = JournalEntry(round: 0, kind: .start, modelHash: modelHash.hexString, baseHash: modelHash.hexString,
                                     checkpoint: file, time: Date().formatted(.iso8601))
            entry.federation = topology.federationID.hex
            try state.journal.append(entry)
            kept = [entry]
        } else if let optimizerState = state.read(StateDirectory.optimizerFile(round: kept.last!.round)) {
            do {
                try training.session.optimizer.restore(try ModelState(safetensors: optimizerState).tensors)
            } catch {
                log.event("warning", "the optimiser state of round \(kept.last!.round) is unusable (\(error)); starting it afresh")
            }
        }

        var transportConfiguration = configuration.transport
        transportConfiguration.maximumMessageByteCount = max(transportConfiguration.maximumMessageByteCount, model.safetensors.count + 1 << 20)
        do {
            transport = try Transport(topology: topology, localID: id, identity: configuration.identity, configuration: transportConfiguration) { line in
                log.event("transport", line)
            }
        } catch {
            throw .input(what: configuration.topologyPath, problem: "\(error)", fix: "")
        }
        let network = TransportRoundNetwork(transport: transport, identity: configuration.identity)
        var aggregation = SecureAggregationPeer<UInt32>.Configuration()
        aggregation.phaseTimeout = configuration.phaseTimeout
        aggregation.maskThreads = configuration.threads
        do {
            aggregator = try SecureAggregationPeer<UInt32>(id: id, topology: topology, identity: configuration.identity, network: network,
                                                           configuration: aggregation) { line in log.event("protocol", line) }
        } catch {
            throw .input(what: configuration.topologyPath, problem: "its aggregation settings cannot be used: \(error)", fix: "")
        }
        network.attach(aggregator)
        let syncRefusals = PeerCounts()
        self.syncRefusals = syncRefusals
        sync = NodeSync(transport: transport, modelByteLimit: model.safetensors.count + 4096) { peer, line in
            log.event("refused", line)
            syncRefusals.add(peer)
        }
        let committed = kept[kept.count - 1]
        chain = Mutex(Chain(entries: kept, model: model, modelHash: modelHash))
        status = Mutex(LiveStatus(document: NodeStatus(id: id, federation: topology.federationID.short, version: PeerVersion.current, state: .starting, round: committed.round,
                                  rounds: min(configuration.lastRound ?? topology.training.rounds, topology.training.rounds), lastCommittedRound: committed.round, modelHash: committed.modelHash,
                                  chainHead: .init(round: committed.round, modelHash: committed.modelHash, signedBy: committed.coordinator),
                                  neighbours: [], refusals: [:], history: kept.filter { $0.round > 0 }.suffix(100).map(NodeStatus.RoundSummary.init),
                                  aborts: kept.count { $0.kind == .aborted }, warnings: [])))
        statusServer = (configuration.statusAddress ?? me.status).map { HTTPServer(address: $0) }
    }

    /// Asks the node to stop at the next safe point: training stops before its next batch, a
    /// round in progress is left without revealing anything more.
    public func stop() {
        guard stopping.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        log.event("stopping", "stopping at the next safe point")
        aggregator.stop()
        for waiter in stopWaiters.withLock({ waiters in defer { waiters = [:] }; return waiters.values }) { waiter.resume() }
    }

    /// Returns once `stop()` has been called, or when the task is cancelled.
    private func stopped() async {
        let key = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = stopWaiters.withLock { waiters in
                    if isStopping || Task.isCancelled { return true }
                    waiters[key] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            stopWaiters.withLock { $0.removeValue(forKey: key) }?.resume()
        }
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Runs the node: listens, serves its status, catches up with its neighbours, runs every
    /// remaining round, and with `linger` stays up until stopped.
    /// - Throws: `NodeError` when it cannot listen, or the federation started elsewhere.
    public func run() async throws(NodeError) {
        let arrivals = transport.events(), refusals = transport.events()
        let counting = Task { [self] in
            for await event in refusals where event.isRefusal { status.withLock { $0.transportRefusals += 1 } }
        }
        defer { counting.cancel() }
        do {
            try transport.start()
        } catch {
            throw .address(what: "the peer-to-peer listener", address: "\(configuration.transport.listenAddress ?? topology.peer(id)!.address)", reason: "\(error)")
        }
        defer { transport.stop() }
        if let statusServer {
            do {
                try statusServer.start { [self] request in respond(to: request) }
            } catch {
                throw .address(what: "the status endpoint", address: "\(statusServer.address)", reason: "\(error)")
            }
            log.event("status", "status on http://\(statusServer.address)/status", ["address": "\(statusServer.address)"])
        } else {
            log.event("status", "no status endpoint: the topology gives \(id) no status address and --status was not given")
        }
        defer { statusServer?.stop() }
        sync.serve { [self] request in answer(request) }
        // Messages of the next round may come before this peer begins it.
        aggregator.resume(after: UInt64(chain.withLock { $0.committed }))
        await waitForNeighbours(arrivals)
        while !isStopping {
            // Before every round: a neighbour may hold a newer model (this peer was down, or
            // ended a round without it).
            try await catchUpWithNeighbours()
            let next = chain.withLock { $0.committed } + 1
            guard next <= finalRound else { break }
            try await runRound(next)
        }
        if isStopping {
            setState(.idle)
            log.event("stopped", "stopped; round \(chain.withLock { $0.committed }) is the last committed")
            return
        }
        setState(.finished)
        let done = finalRound == topology.training.rounds ? "all \(finalRound) rounds done" : "rounds done up to \(finalRound) of \(topology.training.rounds)"
        log.event("finished", "\(done); model \(ModelLink.short(chain.withLock { $0.modelHash }))")
        if configuration.linger {
            log.event("linger", "lingering: serving status and catch-up until stopped")
            await stopped()
        }
    }

    /// Waits until every neighbour is connected (as `events` tells), or for two phase timeouts
    /// at most.
    private func waitForNeighbours(_ events: AsyncStream<TransportEvent>) async {
        setState(.waiting)
        let neighbours = Set(topology.neighbours[id] ?? [])
        let transport = transport, timeout = configuration.phaseTimeout * 2
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard Set(transport.connectedNeighbours) != neighbours else { return }
                for await event in events {
                    if case .connected = event, Set(transport.connectedNeighbours) == neighbours { return }
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { [self] in await stopped() }
            await group.next()
            group.cancelAll()
        }
        let missing = neighbours.subtracting(transport.connectedNeighbours).sorted()
        if !missing.isEmpty { log.event("waiting", "going on without \(missing.joined(separator: ", ")): not connected", ["missing": missing]) }
    }

    func setState(_ value: NodeStatus.State, phase: String? = nil) {
        status.withLock {
            $0.document.state = value
            $0.document.phase = phase
            $0.phaseStarted = phase == nil ? nil : ContinuousClock.now
            $0.document.phaseStarted = phase == nil ? nil : Date().formatted(.iso8601)
            if value != .training { $0.document.progress = nil }
        }
    }
}

/// Counts by peer, shared between tasks.
final class PeerCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func add(_ peer: String) { counts.withLock { $0[peer, default: 0] += 1 } }
    subscript(peer: String) -> Int { counts.withLock { $0[peer] ?? 0 } }
}
