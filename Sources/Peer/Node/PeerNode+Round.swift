import Gossip
import Synchronization
internal import Foundation
import Crypto
import Learn

extension PeerNode {
    /// Round `round`: train from M(r-1), aggregate the update securely, set M(r), evaluate,
    /// checkpoint, journal. A round this peer cannot complete is caught up on from a neighbour
    /// when the others completed it, and journaled as aborted (M(r) = M(r-1)) when nobody did.
    func runRound(_ round: Int) async throws(NodeError) {
        let started = ContinuousClock.now
        var seconds: [String: Double] = [:]
        let (base, baseHash) = chain.withLock { ($0.model, $0.modelHash) }
        aggregator.resume(after: UInt64(round - 1))
        chain.withLock {
            $0.running = round
            $0.activity = .aggregating
        }
        defer {
            chain.withLock {
                $0.running = 0
                $0.activity = .idle
                $0.progress = SyncMessage.Head.unreachable
            }
        }

        phase(round, "train")
        let trainStart = ContinuousClock.now
        let training = training, settings = topology.training
        let meter = ProgressClock()
        let result: (update: [Float], loss: Double)?
        do {
            result = try await ComputePool.shared.run { [self] in
                try training.train(round: round, from: base, progress: { progress in
                    let done = progress.epoch - (round - 1) * settings.localEpochs
                    self.status.withLock {
                        $0.document.progress = .init(epoch: done + 1, epochs: settings.localEpochs, batch: progress.batch + 1,
                                                     batches: progress.batchesPerEpoch,
                                                     etaSeconds: meter.eta(done: done * progress.batchesPerEpoch + progress.batch + 1,
                                                                           total: settings.localEpochs * progress.batchesPerEpoch))
                    }
                }, isCancelled: { self.isStopping })
            }
        } catch {
            throw .storage(path: configuration.stateDirectory, problem: "the model of round \(round - 1) does not load: \(error)", fix: "give a fresh --state")
        }
        guard let result else { return }
        seconds["train"] = (ContinuousClock.now - trainStart) / .seconds(1)

        let weight = min(1, Double(training.training.images.count) / Double(topology.aggregation.maxWeight))
        let link = ModelLink(base: baseHash) { average in Self.hash(of: base, adding: average) }
        let outcome = await aggregator.runRound(UInt64(round), input: result.update, weight: weight, model: link) { [self] name in
            phase(round, name)
        }
        // A neighbour recovering from the round waits while this peer commits its model; one
        // that recovers waits for it only while it is near a peer still in the round.
        chain.withLock {
            $0.activity = outcome.abortReason == nil ? .committing : .recovering
            $0.progress = 1
        }
        for time in outcome.phaseTimes { seconds[time.phase] = time.seconds }
        if isStopping { return }

        var entry = JournalEntry(round: round, kind: .completed, modelHash: "", baseHash: baseHash.hexString, checkpoint: "",
                                 time: "")
        entry.take(outcome, peer: id)
        var next: ModelState?
        if outcome.abortReason == nil, let average = outcome.average {
            let hash = Self.hash(of: base, adding: average)
            if let signed = outcome.signedOutcome, signed.model != hash || signed.base != baseHash {
                log.event("inconsistent", "round \(round): M(r) here is \(ModelLink.short(hash)), the coordinator signed \(ModelLink.short(signed.model)); catching up instead")
                entry.abortReason = "the model differs from the coordinator's signed hash"
                chain.withLock {
                    $0.activity = .recovering
                    $0.progress = 1
                }
            } else {
                next = base.adding(average)
            }
        } else {
            entry.abortReason = outcome.abortReason.map { "\($0)" }
            log.event("aborted", "round \(round) aborted here: \(entry.abortReason ?? "")", ["round": round, "reason": entry.abortReason ?? ""])
        }
        if next == nil {
            switch try await recover(round: round, base: base, baseHash: baseHash) {
            case .caughtUp(let model, let record):
                next = model
                entry.kind = .caughtUp
                entry.take(record, peer: id)
            case .overtaken:
                return
            case .abortedEverywhere:
                entry.kind = .aborted
                entry.aggregateHash = nil
                entry.signedOutcome = nil
                entry.contributed = false
            }
        }
        try await commit(entry, model: next ?? base, trainingLoss: result.loss, seconds: seconds, started: started)
    }

    /// Evaluates M(r), writes its checkpoint and the journal line, and shows the round.
    func commit(_ proposed: JournalEntry, model: ModelState, trainingLoss: Double?, seconds: [String: Double],
                started: ContinuousClock.Instant) async throws(NodeError) {
        var entry = proposed, seconds = seconds
        let round = entry.round
        phase(round, "evaluate")
        let evaluateStart = ContinuousClock.now
        let training = training
        if let evaluation = try? await ComputePool.shared.run({ try training.evaluate(model) }) {
            entry.metrics = .init(trainingLoss: trainingLoss, validationLoss: evaluation.loss, f1: evaluation.f1, auc: evaluation.auc,
                                  threshold: Double(evaluation.threshold), precision: evaluation.atThreshold.precision,
                                  recall: evaluation.atThreshold.recall)
        }
        seconds["evaluate"] = (ContinuousClock.now - evaluateStart) / .seconds(1)
        phase(round, "checkpoint")
        let checkpointStart = ContinuousClock.now
        let bytes = model.safetensors
        let hash = Blake2b.hash(bytes)
        entry.modelHash = hash.hexString
        entry.checkpoint = try state.writeCheckpoint(round: round, model: bytes, optimizer: training.session.optimizer.state)
        seconds["checkpoint"] = (ContinuousClock.now - checkpointStart) / .seconds(1)
        seconds["total"] = (ContinuousClock.now - started) / .seconds(1)
        entry.seconds = seconds
        entry.time = Date().formatted(.iso8601)
        try state.journal.append(entry)
        CrashRehearsal.disarm()
        chain.withLock { $0.append(entry, model: model, hash: hash) }
        record(entry)
        setState(.idle)
    }

    /// The hash of M(r) = `base` + `average`, its checkpoint file streamed through the hash
    /// tensor by tensor rather than encoded whole.
    static func hash(of base: ModelState, adding average: [Float]) -> [UInt8] {
        var hasher = Blake2b.Hasher()
        base.safetensorsPieces(adding: average) { hasher.update($0) }
        return hasher.finalize()
    }

    /// Logs and shows that `name` of round `round` begins.
    func phase(_ round: Int, _ name: String) {
        let state: NodeStatus.State = switch name {
        case "train": .training
        case "evaluate", "checkpoint": .idle
        default: .aggregating
        }
        status.withLock { $0.document.round = round }
        setState(state, phase: name)
        log.event("phase", "round \(round) phase \(name)", ["round": round, "phase": name])
        for fault in configuration.faults where fault.round == round && fault.phase == name {
            switch fault.action {
            case .kill:
                log.event("kill", "round \(round) phase \(name): killing this process as --kill-at asks", ["round": round, "phase": name])
                fault.strike()
            case .killWhileWriting(let bytes):
                log.event("kill", "round \(round) phase \(name): killing this process after \(bytes) bytes of its state writes as --kill-at asks",
                          ["round": round, "phase": name, "bytes": bytes])
                fault.strike()
            case .freeze(let seconds):
                log.event("freeze", "round \(round) phase \(name): freezing this process for \(seconds) s as --freeze-at asks",
                          ["round": round, "phase": name, "seconds": seconds])
                fault.strike()
                log.event("thaw", "round \(round) phase \(name): continued after the freeze", ["round": round, "phase": name])
                status.withLock { status in
                    status.document.warnings.append("frozen \(seconds) s as it entered \(name) of round \(round) (--freeze-at)")
                    status.document.freezes = (status.document.freezes ?? []) + [.init(round: round, phase: name, seconds: seconds)]
                }
            }
        }
    }
}

/// Estimates the time left of work done at a steady rate since it was made.
struct ProgressClock: Sendable {
    private let start = ContinuousClock.now

    /// Seconds left when `done` of `total` steps are done; nil before the first.
    func eta(done: Int, total: Int) -> Double? {
        guard done > 0 else { return nil }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        return elapsed / Double(done) * Double(max(total - done, 0))
    }
}

extension PeerNode {
    /// The steps of a round as the node logs them: training, the protocol's phases, evaluation
    /// and the checkpoint.
    public static let phases = ["train"] + Simulation.phases + ["evaluate", "checkpoint"]
}
