public import Crypto
internal import Foundation
import Synchronization

/// The peer-to-peer network of one peer: one authenticated, encrypted TCP connection per
/// topology link (dialled by the smaller id), heartbeats and failure detection, and messages
/// delivered to a handler per channel.
public final class Transport: Sendable {
    /// Receives a whole message from a neighbour.
    public typealias Handler = @Sendable (_ from: String, _ message: [UInt8]) async -> Void

    private struct Neighbour {
        var connection: SecureConnection?
        var generation = 0
        var metrics: NeighbourMetrics
        var lastHeard: ContinuousClock.Instant?
    }

    private struct Channel {
        let handler: Handler
        let maximumMessageByteCount: Int
    }

    private struct State {
        var running = false
        var listener: Socket?
        var neighbours: [String: Neighbour] = [:]
        var channels: [UInt8: Channel] = [:]
        /// Accepted connections whose handshake has not finished.
        var pendingHandshakes = 0
        var tasks: [Task<Void, Never>] = []
    }

    public let topology: Topology
    public let localID: String

    private let configuration: TransportConfiguration
    private let policy: Handshake.Policy
    private let log: @Sendable (String) -> Void
    /// Every listener's stream of events, by subscription number.
    private let listeners = Mutex<(next: Int, sinks: [Int: AsyncStream<TransportEvent>.Continuation], stopped: Bool)>((0, [:], false))
    private let state: Mutex<State>
    private let clock = ContinuousClock()

    /// A transport for `localID` of `topology`.
    /// - Parameters:
    ///   - identity: this peer's secret key; its public key must be the one pinned for `localID`.
    ///   - log: receives one line per notable event (refusals, disconnections); never secrets.
    /// - Throws: `TopologyError` when `localID` is not in the topology or the key does not match.
    public init(topology: Topology, localID: String, identity: IdentityKey, configuration: TransportConfiguration = .init(),
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(TopologyError) {
        guard let me = topology.peer(localID) else {
            throw TopologyError(file: topology.name, field: "peers", value: localID, problem: "has no peer with this id",
                                fix: "use one of: \(topology.peers.map(\.id).joined(separator: ", "))")
        }
        guard me.key == identity.publicKey else {
            throw TopologyError(file: topology.name, field: "peers[\(topology.peers.firstIndex(of: me)!)].key", value: me.key.text,
                                problem: "is not the public key of the given secret key (\(identity.publicKey.text))",
                                fix: "pass the key file made for \(localID), or pin its public key in the topology")
        }
        self.topology = topology
        self.localID = localID
        self.configuration = configuration
        self.log = log
        policy = Handshake.Policy(federation: topology.federationID, localID: localID, identity: identity, topology: topology,
                                  replayGuard: ReplayGuard())
        let neighbours = (topology.neighbours[localID] ?? []).map { ($0, Neighbour(metrics: NeighbourMetrics(peer: $0))) }
        state = Mutex(State(neighbours: Dictionary(uniqueKeysWithValues: neighbours)))
    }

    // MARK: - Life cycle

    /// Starts listening and dialling. Returns once the listener is bound.
    /// - Throws: `TransportError` when the listening address cannot be bound.
    public func start() throws(TransportError) {
        let address = configuration.listenAddress ?? topology.peer(localID)!.address
        let listener = try Socket.listen(on: address)
        let dialled = (topology.neighbours[localID] ?? []).filter { KeyAgreement.precedes(localID, $0) }
        state.withLock { state in
            state.running = true
            state.listener = listener
            state.tasks.append(Task { await acceptLoop(listener) })
            for peer in dialled { state.tasks.append(Task { await dialLoop(topology.peer(peer)!) }) }
            state.tasks.append(Task { await heartbeatLoop() })
        }
        log("listening on \(address) for federation \(topology.federationID.short)")
    }

    /// Stops: closes every connection and the listener, ends `events`.
    public func stop() {
        let (listener, connections, tasks) = state.withLock { state in
            state.running = false
            defer { state.tasks = []; state.listener = nil }
            return (state.listener, state.neighbours.values.compactMap(\.connection), state.tasks)
        }
        listener?.close()
        for connection in connections { connection.close() }
        for task in tasks { task.cancel() }
        let sinks = listeners.withLock { listeners in
            listeners.stopped = true
            defer { listeners.sinks = [:] }
            return listeners.sinks.values
        }
        for sink in sinks { sink.finish() }
    }

    // MARK: - Messages

    /// Registers the receiver of messages on `channel` (1...255), replacing any earlier one.
    /// - Parameters:
    ///   - maximumMessageByteCount: the longest message accepted on this channel; a neighbour
    ///     that sends a longer one is disconnected as soon as the chunks reassembled so far pass
    ///     it. `nil`, or anything above the configuration's `maximumMessageByteCount`, means the
    ///     configured maximum.
    public func setHandler(channel: UInt8, maximumMessageByteCount: Int? = nil, _ handler: @escaping Handler) {
        precondition(channel != SecureConnection.heartbeatKind, "channel 0 is reserved for heartbeats")
        let limit = min(maximumMessageByteCount ?? configuration.maximumMessageByteCount, configuration.maximumMessageByteCount)
        state.withLock { $0.channels[channel] = Channel(handler: handler, maximumMessageByteCount: limit) }
    }

    /// Sends `message` on `channel` to the neighbour `peer`.
    /// - Throws: `TransportError.notConnected` when there is no connection to it now, or the
    ///   connection's error.
    public func send(_ message: [UInt8], channel: UInt8, to peer: String) async throws {
        guard let connection = state.withLock({ $0.neighbours[peer]?.connection }) else { throw TransportError.notConnected(peer: peer) }
        let written = try await connection.send(message, channel: channel)
        state.withLock { state in
            state.neighbours[peer]?.metrics.bytesSent += written
            state.neighbours[peer]?.metrics.messagesSent += 1
        }
    }

    /// Connections accepted now whose handshake has not finished (at most the configuration's
    /// `maximumPendingHandshakes`).
    public var pendingHandshakeCount: Int { state.withLock { $0.pendingHandshakes } }

    /// The neighbours connected now.
    public var connectedNeighbours: [String] {
        state.withLock { $0.neighbours.filter { $0.value.connection != nil }.keys.sorted(by: KeyAgreement.precedes) }
    }

    /// Traffic and liveness per neighbour, in canonical order.
    public func metrics() -> [NeighbourMetrics] {
        let now = clock.now
        return state.withLock { state in
            state.neighbours.values.map { neighbour in
                var metrics = neighbour.metrics
                metrics.isConnected = neighbour.connection != nil
                metrics.sinceLastHeard = neighbour.lastHeard.map { now - $0 }
                return metrics
            }
        }.sorted { KeyAgreement.precedes($0.peer, $1.peer) }
    }

    // MARK: - Connections

    private var isRunning: Bool { state.withLock { $0.running } }

    private func emit(_ event: TransportEvent) {
        log(event.description)
        for sink in listeners.withLock({ Array($0.sinks.values) }) { sink.yield(event) }
    }

    /// A new listener's stream of the events from now on, in the order they happen (the
    /// newest 10,000 kept when it falls behind); it ends when the transport stops. Every
    /// listener (the round, the status) gets every event.
    public func events() -> AsyncStream<TransportEvent> {
        let (stream, sink) = AsyncStream.makeStream(of: TransportEvent.self, bufferingPolicy: .bufferingNewest(10_000))
        let number: Int? = listeners.withLock { listeners in
            guard !listeners.stopped else { return nil }
            defer { listeners.next += 1 }
            listeners.sinks[listeners.next] = sink
            return listeners.next
        }
        guard let number else {
            sink.finish()
            return stream
        }
        sink.onTermination = { [weak self] _ in _ = self?.listeners.withLock { $0.sinks.removeValue(forKey: number) } }
        return stream
    }

    /// Accepts connections; beyond `maximumPendingHandshakes` unauthenticated ones, a new
    /// connection is closed at once, before anything is read from it.
    private func acceptLoop(_ listener: Socket) async {
        let limit = configuration.maximumPendingHandshakes
        while isRunning {
            let socket: Socket
            do {
                socket = try await listener.accept()
            } catch {
                if isRunning { log("accept failed: \(error)") }
                return
            }
            let admitted = state.withLock { state -> Bool in
                guard state.pendingHandshakes < limit else { return false }
                state.pendingHandshakes += 1
                return true
            }
            if admitted {
                Task { await admit(socket) }
            } else {
                socket.close()
                report(handshakeFailure: TransportError.refused(.tooManyPendingHandshakes(limit: limit)), with: nil)
            }
        }
    }

    /// Runs the listener's side of the handshake, headers included, within the handshake
    /// timeout, then serves the connection.
    private func admit(_ socket: Socket) async {
        let connection: SecureConnection?
        do {
            connection = try await withHandshakeTimeout(configuration.handshakeTimeout, closing: socket) {
                let result = try await Handshake.runServer(on: socket, policy: self.policy)
                return try await SecureConnection.establish(on: socket, handshake: result,
                                                            maximumMessageByteCount: self.configuration.maximumMessageByteCount)
            }
        } catch {
            connection = nil
            socket.close()
            report(handshakeFailure: error, with: nil)
        }
        state.withLock { $0.pendingHandshakes -= 1 }
        if let connection { await serve(connection) }
    }

    private func dialLoop(_ peer: Topology.Peer) async {
        var delay = configuration.reconnectBaseDelay
        while isRunning {
            do {
                let socket = try await Socket.connect(to: peer.address)
                do {
                    let connection = try await withHandshakeTimeout(configuration.handshakeTimeout, closing: socket) {
                        let result = try await Handshake.runClient(on: socket, policy: self.policy, expectedPeer: peer)
                        return try await SecureConnection.establish(on: socket, handshake: result,
                                                                    maximumMessageByteCount: self.configuration.maximumMessageByteCount)
                    }
                    delay = configuration.reconnectBaseDelay
                    await serve(connection)
                } catch {
                    socket.close()
                    throw error
                }
            } catch {
                report(handshakeFailure: error, with: peer.id)
            }
            guard isRunning else { return }
            let jitter = Double.random(in: 0...0.5)
            try? await Task.sleep(for: delay + delay * jitter)
            delay = min(delay * 2, configuration.reconnectMaximumDelay)
        }
    }

    private func report(handshakeFailure error: any Error, with peer: String?) {
        guard isRunning else { return }
        if case TransportError.refused(let reason) = error {
            emit(.refused(reason))
        } else if let peer {
            log("cannot reach \(peer): \(error)")
        } else {
            log("handshake with an incoming connection failed: \(error)")
        }
    }

    /// Registers `connection` (replacing an older one to the same peer) and reads from it until
    /// it ends.
    private func serve(_ connection: SecureConnection) async {
        let peer = connection.peerID
        let now = clock.now
        let (generation, replaced): (Int?, SecureConnection?) = state.withLock { state in
            guard state.running, var neighbour = state.neighbours[peer] else { return (nil, nil) }
            let old = neighbour.connection
            neighbour.connection = connection
            neighbour.generation += 1
            neighbour.metrics.connectionCount += 1
            neighbour.lastHeard = now
            state.neighbours[peer] = neighbour
            return (neighbour.generation, old)
        }
        guard let generation else { connection.close(); return }
        replaced?.close()
        emit(.connected(peer: peer))
        var reason = "closed"
        let delivery = DeliveryQueue(byteLimit: configuration.deliveryQueueByteCount)
        Task { await delivery.deliver() }
        defer { delivery.finish() }
        do {
            while true {
                let incoming = try await connection.receive(limit: maximumMessageByteCount(on:)) { bytes in
                    let heard = clock.now
                    state.withLock { state in
                        state.neighbours[peer]?.metrics.bytesReceived += bytes
                        state.neighbours[peer]?.lastHeard = heard
                    }
                }
                guard case .message(let channel, let bytes) = incoming else { continue }
                let handler = state.withLock { state in
                    state.neighbours[peer]?.metrics.messagesReceived += 1
                    return state.channels[channel]?.handler
                }
                if let handler {
                    await delivery.push(.init(handler: handler, peer: peer, bytes: bytes))
                } else {
                    log("no handler for channel \(channel); dropped a message from \(peer)")
                }
            }
        } catch {
            reason = "\(error)"
        }
        connection.close()
        let current = state.withLock { state -> Bool in
            guard state.neighbours[peer]?.generation == generation else { return false }
            state.neighbours[peer]?.connection = nil
            return true
        }
        if current && isRunning { emit(.disconnected(peer: peer, reason: reason)) }
    }

    /// The longest message accepted on `channel`: its handler's limit, or the configured maximum.
    private func maximumMessageByteCount(on channel: UInt8) -> Int {
        state.withLock { $0.channels[channel]?.maximumMessageByteCount } ?? configuration.maximumMessageByteCount
    }

    // MARK: - Failure detection

    private func heartbeatLoop() async {
        while isRunning {
            do { try await Task.sleep(for: configuration.heartbeatInterval) } catch { return }
            let now = clock.now
            let (live, silent) = state.withLock { state in
                var live: [SecureConnection] = [], silent: [(String, SecureConnection)] = []
                for (peer, neighbour) in state.neighbours {
                    guard let connection = neighbour.connection else { continue }
                    if let heard = neighbour.lastHeard, now - heard > configuration.suspectTimeout {
                        silent.append((peer, connection))
                    } else {
                        live.append(connection)
                    }
                }
                return (live, silent)
            }
            for (peer, connection) in silent {
                emit(.suspected(peer: peer))
                connection.close()
            }
            for connection in live {
                Task {
                    if let written = try? await connection.sendHeartbeat() {
                        state.withLock { $0.neighbours[connection.peerID]?.metrics.bytesSent += written }
                    }
                }
            }
        }
    }
}
