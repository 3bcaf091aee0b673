import Crypto
import Foundation
import Testing
@testable import Gossip
@testable import Peer

/// One coordinator, one model: split liveness views at the start of a round and partitions
/// (docs/PROTOCOL.md, "One coordinator per round" and "Partitions").
@Suite struct CoordinatorAgreementTests {
    /// Eight peers in which the second candidate and two others cannot see the first candidate
    /// as round 1 starts (they see it again once they bind their bundles).
    private func splitView() throws -> (ManualFederation, first: String, second: String, blind: Set<String>) {
        let federation = try ManualFederation(.complete, peers: 8, threshold: 3)
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        let blind = Set([order[1]] + order.dropLast().suffix(2))
        federation.network.hide(order[0], from: blind)
        return (federation, order[0], order[1], blind)
    }

    /// The second candidate and two other peers cannot see the first candidate as the round
    /// starts, so the second runs the round too: its roster reaches its followers before the
    /// first's, and they bind their share bundles to it. The first candidate's roster, sent
    /// before the second's reached it (the two cross), then arrives; being earlier in the order,
    /// it wins. The second's followers leave the round revealing nothing, the first completes
    /// with the others, and no owner anywhere has both kinds of share revealed. (Without the
    /// binding, the two coordinators shared the bundles, and with a threshold of 3 each side
    /// revealed the other kind of share of the other side's peers, ending on two models.)
    @Test func aSecondCoordinatorsFollowersLeaveAndOneModelComesOut() async throws {
        let (federation, first, second, blind) = try splitView()
        federation.network.hold(to: first) { from, bytes in from == second && bytes.first == RoundMessage<UInt32>.Kind.roster1.rawValue }
        let traffic = federation.traffic
        let outcomes = await federation.run(round: 1) { peer, phase in
            if phase == "share-keys" && blind.contains(peer) { federation.network.restoreView(of: peer) }
            // The first candidate advertises only once the blind peers have bound their bundles
            // to the second's roster, and hears the second only once its own roster is out.
            if peer == first && phase == "advertise" {
                for follower in blind {
                    await traffic.awaitEntry { $0.from == follower && $0.bytes.first == RoundMessage<UInt32>.Kind.shareBundle.rawValue }
                }
                Task {
                    await traffic.awaitEntry { $0.from == first && $0.bytes.first == RoundMessage<UInt32>.Kind.roster1.rawValue }
                    await federation.network.release(to: first)
                }
            }
        }
        #expect(federation.messages.contains { entry in
            if case .roster1(let roster) = entry.message { return roster.coordinator == second } else { return false }
        })
        #expect(Simulation.ownersWithBothSharesRevealed(federation.peers.values, round: 1).isEmpty)
        let completed = outcomes.values.filter { $0.abortReason == nil }
        #expect(Set(completed.map(\.peer)) == Set(federation.topology.peers.map(\.id)).subtracting(blind))
        #expect(completed.allSatisfy { $0.coordinator == first && Set($0.contributors) == Set(completed.map(\.peer)) })
        #expect(Set(completed.map(\.aggregateHash)).count == 1)
        for peer in blind {
            #expect(outcomes[peer]?.abortReason == .superseded(by: first), "\(peer): \(String(describing: outcomes[peer]?.abortReason))")
            #expect(federation.peers[peer]!.revealedKinds(round: 1).isEmpty)
        }
    }

    /// The same split view, but the second's roster reaches the first candidate before the first
    /// has sent its own: the round is coordinated already, so the first sends no roster (it
    /// advertised too late to be in the second's, and sits the round out), and the round
    /// completes with the seven others instead of splitting.
    @Test func anEarlierCandidateThatHearsARosterFollowsItInsteadOfSplittingTheRound() async throws {
        let (federation, first, second, blind) = try splitView()
        let traffic = federation.traffic
        let outcomes = await federation.run(round: 1) { peer, phase in
            if phase == "share-keys" && blind.contains(peer) { federation.network.restoreView(of: peer) }
            if peer == first && phase == "advertise" {
                await traffic.awaitEntry { $0.from == second && $0.bytes.first == RoundMessage<UInt32>.Kind.roster1.rawValue }
            }
        }
        #expect(!federation.messages.contains { entry in
            if case .roster1(let roster) = entry.message { return roster.coordinator == first } else { return false }
        })
        let others = outcomes.values.filter { $0.peer != first }
        #expect(others.allSatisfy { $0.abortReason == nil && $0.coordinator == second && $0.contributors.count == 7 },
                "\(outcomes.values.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
        #expect(outcomes[first]?.abortReason == .excluded)
        #expect(Set(others.map(\.aggregateHash)).count == 1)
        #expect(Simulation.ownersWithBothSharesRevealed(federation.peers.values, round: 1).isEmpty)
    }

    /// A coordinator that started again after the others had advertised hears too few of them:
    /// its roster names fewer peers than a round completes with, so it gives the round up. No
    /// one follows it, the next candidate coordinates, and the round completes with all six
    /// (the late one's own advertisement reached the next candidate).
    @Test func aCoordinatorThatHeardTooFewGivesTheRoundUpToTheNext() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3)
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        let late = order[0], traffic = federation.traffic
        // The others' advertisements are gone by the time it listens: it hears none of them.
        federation.network.hold(to: late) { _, bytes in bytes.first == RoundMessage<UInt32>.Kind.advertise.rawValue }
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == late && phase == "advertise" {
                for other in order.dropFirst() {
                    await traffic.awaitEntry { $0.from == other && $0.bytes.first == RoundMessage<UInt32>.Kind.advertise.rawValue }
                }
            }
        }
        #expect(federation.messages.contains { entry in
            if case .roster1(let roster) = entry.message { return roster.coordinator == late && roster.entries.count == 1 } else { return false }
        })
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil && $0.coordinator == order[1] && $0.contributors.count == 6 },
                "\(outcomes.values.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
        #expect(federation.logs.lines.contains { $0.hasPrefix("[\(order[1])]") && $0.contains("gave the round up and this peer comes next") })
    }

    /// The first candidate has crashed unseen (no one watches it), and the second, which came
    /// back too late to hear the others' advertisements and does not see the first, gives the
    /// round up: the third, next after both, coordinates, and the round completes with the five.
    @Test func theCandidateAfterOneThatGaveUpStepsIn() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3)
        let ids = federation.topology.peers.map(\.id)
        let order = RoundStructure.coordinatorOrder(round: 1, peers: ids)
        let late = order[1], traffic = federation.traffic
        federation.network.crash(order[0])
        federation.network.keepSeeingAlive(order[0], from: ids.filter { $0 != late })
        federation.network.hold(to: late) { _, bytes in bytes.first == RoundMessage<UInt32>.Kind.advertise.rawValue }
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == late && phase == "advertise" {
                for other in order.dropFirst(2) {
                    await traffic.awaitEntry { $0.from == other && $0.bytes.first == RoundMessage<UInt32>.Kind.advertise.rawValue }
                }
            }
        }
        #expect(outcomes.count == 5)
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil && $0.coordinator == order[2] && $0.contributors.count == 5 },
                "\(outcomes.values.map { "\($0.peer): \(String(describing: $0.abortReason)) \($0.coordinator)" })")
    }

    /// A peer that sees the roster of a coordinator earlier in the order before it binds anything
    /// follows that one, even though it chose another at the start.
    @Test func aBlindPeerFollowsTheEarlierCoordinatorWhoseRosterCameFirst() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3, timeout: .seconds(2))
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        let blind = order[3]
        federation.network.hide(order[0], from: [blind])
        let outcomes = await federation.run(round: 1) { peer, phase in
            if phase == "share-keys" && peer == blind { federation.network.restoreView(of: peer) }
        }
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil && $0.coordinator == order[0] })
        #expect(outcomes[blind]?.contributors.count == 6)
        #expect(federation.logs.lines.contains { $0.hasPrefix("[\(blind)]") && $0.contains("following \(order[0])") })
    }

    /// The first candidate has crashed, but only the second sees it (as on the real transport,
    /// where a peer that is not a neighbour has no view of a crash): the second runs the round,
    /// and after half a phase without the first's roster the others follow it, so the round
    /// completes instead of aborting for want of a quorum.
    @Test func anUnseenCrashOfTheFirstCandidateStillLetsTheRoundComplete() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3)
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        federation.network.crash(order[0])
        federation.network.keepSeeingAlive(order[0], from: order.dropFirst(2))
        let outcomes = await federation.run(round: 1)
        #expect(outcomes.count == 5)
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil && $0.coordinator == order[1] && $0.contributors.count == 5 },
                "\(outcomes.values.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
        #expect(Set(outcomes.values.map(\.aggregateHash)).count == 1)
        for follower in order.dropFirst(2) {
            #expect(federation.logs.lines.contains { $0.hasPrefix("[\(follower)]") && $0.contains("a later one's is taken too") })
        }
    }

    /// The first candidate crashes and only the second does not see it (it is not a neighbour):
    /// everyone else chose the second, which waits for the first's roster. After half a phase
    /// the second, next in the order after its silent choice, coordinates itself, and the round
    /// completes with all five.
    @Test func theNextCandidateCoordinatesWhenOnlyItStillSeesTheFirstAlive() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3)
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        federation.network.crash(order[0])
        federation.network.keepSeeingAlive(order[0], from: [order[1]])
        let outcomes = await federation.run(round: 1)
        #expect(outcomes.count == 5)
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil && $0.coordinator == order[1] && $0.contributors.count == 5 },
                "\(outcomes.values.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
        #expect(Set(outcomes.values.map(\.aggregateHash)).count == 1)
        #expect(federation.logs.lines.contains { $0.hasPrefix("[\(order[1])]") && $0.contains("comes next in the order; coordinating") })
    }

    /// The first candidate crashes as it enters advertise, after every peer chose it, and every
    /// peer watches it first-hand (a complete graph): the next candidate, which sees it gone,
    /// coordinates after half a phase without its roster, and the round completes with the
    /// other five instead of aborting with the coordinator silent.
    @Test func theNextCandidateCoordinatesWhenTheFirstCrashesDuringAdvertise() async throws {
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3)
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == order[0] && phase == "advertise" { federation.network.crash(peer) }
        }
        let survivors = outcomes.values.filter { $0.peer != order[0] }
        #expect(survivors.count == 5)
        #expect(survivors.allSatisfy { $0.abortReason == nil && $0.coordinator == order[1] && $0.contributors.count == 5 },
                "\(survivors.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
        #expect(Set(survivors.map(\.aggregateHash)).count == 1)
        #expect(federation.logs.lines.contains { $0.hasPrefix("[\(order[1])]") && $0.contains("is gone and this peer comes next in the order; coordinating") })
    }

    /// The first candidate is alive and has advertised, but waits for a slow peer's
    /// advertisement past half a phase; the next candidate is not its neighbour (it cannot watch
    /// it). Having the first's Advertise, it knows it alive in the round and does not step in:
    /// one roster, and the round completes with all six. (It used to coordinate after half a
    /// phase; the first's roster then superseded its, and its followers left the round.)
    @Test func theNextCandidateDoesNotStepInForAChoiceThatHasAdvertised() async throws {
        // The slow peer advertises after half a phase and must be heard before the first's
        // phase ends: a long phase keeps that margin on a loaded machine.
        let federation = try ManualFederation(.complete, peers: 6, threshold: 3, timeout: .seconds(20))
        let order = RoundStructure.coordinatorOrder(round: 1, peers: federation.topology.peers.map(\.id))
        federation.network.keepSeeingAlive(order[0], from: [order[1]])
        let slow = order[5], logs = federation.logs
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == slow && phase == "advertise" {
                await logs.awaitEntry { $0.hasPrefix("[\(order[1])]") && $0.contains("a later one's is taken too") }
            }
        }
        #expect(!federation.messages.contains { entry in
            if case .roster1(let roster) = entry.message { return roster.coordinator != order[0] } else { return false }
        })
        #expect(outcomes.values.allSatisfy { $0.abortReason == nil && $0.coordinator == order[0] && $0.contributors.count == 6 },
                "\(outcomes.values.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
    }

    /// A restarted peer still catching up (in round 1) hears the others begin round 3: their
    /// advertisements and rosters are kept, not refused, and handed over as it begins round 3,
    /// so it follows that round's coordinator instead of waiting out a phase for a roster it
    /// threw away. A message further ahead than `earlyRounds` is still refused.
    @Test func messagesOfARoundAheadAreKeptUntilItBegins() async throws {
        let federation = try ManualFederation(.complete, peers: 4, threshold: 3)
        let ids = federation.topology.peers.map(\.id)
        let peer = try #require(federation.peers[ids[0]])
        peer.resume(after: 1)
        func advertisement(round: UInt64) throws -> [UInt8] {
            let sender = ids[1], identity = try #require(federation.identities[sender])
            let shareKey = X25519KeyPair().publicKey, maskKey = X25519KeyPair().publicKey, base = [UInt8](repeating: 0, count: 32)
            let body = RoundMessage<UInt32>.advertiseBody(round: round, peer: sender, shareKey: shareKey, maskKey: maskKey, base: base)
            let signature = identity.signature(for: RoundMessage<UInt32>.advertiseContext + federation.topology.federationID.bytes + body)
            return RoundMessage<UInt32>.advertise(.init(round: round, peer: sender, shareKey: shareKey, maskKey: maskKey, base: base,
                                                        signature: signature)).encoded
        }
        await peer.receive(try advertisement(round: 3), from: ids[1])
        #expect(peer.refusals.isEmpty && peer.mailbox.messages(.advertise).isEmpty)
        await peer.receive(try advertisement(round: 1 + SecureAggregationPeer<UInt32>.earlyRounds + 1), from: ids[1])
        #expect(peer.refusals.count == 1)
        peer.begin(round: 3, coordinator: ids[0])
        await peer.releaseEarly()
        #expect(peer.mailbox.messages(.advertise).map(\.message.round) == [3])
    }

    /// 8 peers cut 5 + 3 as the first round's tree sum begins, with regular:4 masking and its
    /// default threshold of 3: the minority could reach the threshold on its own, but a round
    /// needs a strict majority of the federation, so only the majority part completes rounds.
    @Test func aPartitionNeverForks() async throws {
        let (topology, identities) = try federation(.randomRegular, peers: 8, threshold: 3, masking: .regular(degree: 4), degree: 4)
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 100)
        request.fault = .partition
        request.rounds = 3
        request.phaseTimeout = .seconds(1)
        let reports = try await Simulation.run(request, word: UInt32.self)
        try #require(reports.count == 3)
        #expect(reports[0].fault?.hasPrefix("cut into") == true)
        for report in reports {
            #expect(report.distinctAggregateHashes <= 1, "round \(report.round)")
            #expect(report.ownersWithBothSharesRevealed == 0, "round \(report.round)")
        }
        for report in reports.dropFirst() {
            let completed = report.outcomes.values.filter { $0.abortReason == nil }
            let aborted = report.outcomes.values.filter { $0.abortReason != nil }
            #expect(completed.count == 5 && aborted.count == 3, "round \(report.round)")
            // The minority's rosters name too few to complete a round: they give it up.
            #expect(aborted.allSatisfy { $0.abortReason == .coordinatorSilent(phase: "advertise") },
                    "\(aborted.map { String(describing: $0.abortReason) })")
        }
    }

    /// `peer topology check` states the quorum: with 8 peers and any threshold, 5 contributors.
    @Test func theQuorumIsAStrictMajorityWhateverTheThreshold() throws {
        for (peers, threshold, quorum) in [(2, 2, 2), (3, 2, 3), (4, 2, 3), (8, 3, 5), (8, 7, 7), (1000, 11, 501)] {
            let settings = AggregationSettings(threshold: threshold, masking: .complete, ringBits: 32, fractionBits: 16, clip: 4, maxWeight: 1)
            #expect(settings.quorum(peerCount: peers) == quorum, "\(peers) peers, threshold \(threshold)")
        }
    }
}
