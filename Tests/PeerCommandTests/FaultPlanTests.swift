import Crypto
import Gossip
@testable import Peer
@testable import PeerCommand
import Testing

/// `peer launch --inject PLAN`: parsing, the errors a wrong plan gets, and roles resolved to
/// the peers that hold them in the round's tree.
@Suite struct FaultPlanTests {
    /// A ring of six peers, 30 rounds.
    private let topology: Topology = {
        let ids = (1...6).map { "peer-\($0)" }
        let peers = ids.enumerated().map { index, id in
            Topology.Peer(id: id, address: PeerAddress(host: "127.0.0.1", port: UInt16(7400 + index)), status: nil, key: IdentityKey().publicKey)
        }
        let links = (0..<6).map { Topology.Link(ids[$0], ids[($0 + 1) % 6]) }
        let text = TopologyWriter.text(name: "faults", peers: peers, links: links,
                                       aggregation: AggregationSettings(threshold: 4, masking: .complete, ringBits: 32, fractionBits: 16, clip: 4, maxWeight: 10_000),
                                       training: TrainingSettings(model: "small-cnn", imageSize: 32, rounds: 30, localEpochs: 1, batchSize: 16,
                                                                  optimizer: "adam", learningRate: 0.001, seed: 1))
        return try! TopologyParser.parse(Array(text.utf8), file: "faults.json")
    }()

    private var ids: [String] { topology.peers.map(\.id) }

    @Test func eachKindParsesIntoTheOptionsOfPeerRun() throws {
        let plan = try FaultPlan(parsing: "kill:peer-2@3:tree-sum,stop:peer-4@2:masked-input:7.5,restart:peer-2@4,kill:peer-3@5:checkpoint:4096",
                                 topology: topology)
        #expect(plan.injections.map(\.description) == ["stop:peer-4@2:masked-input:7.5", "kill:peer-2@3:tree-sum", "restart:peer-2@4",
                                                       "kill:peer-3@5:checkpoint:4096"])
        #expect(plan.runArguments(for: "peer-3") == ["--kill-at", "5:checkpoint:4096"])
        #expect(plan.runArguments(for: "peer-2") == ["--kill-at", "3:tree-sum"])
        #expect(plan.runArguments(for: "peer-4") == ["--freeze-at", "2:masked-input:7.5"])
        #expect(plan.runArguments(for: "peer-2", excluding: [plan.injections[1]]).isEmpty)
        #expect(plan.runArguments(for: "peer-1").isEmpty)
    }

    /// Ids hold '-' too: a cut's pair is split where both sides are peers. A partition's
    /// commas stay inside it; its links are every pair across parts.
    @Test func cutsPartitionsAndHealsParseIntoTheLinksTheyDrop() throws {
        let plan = try FaultPlan(parsing: "cut:peer-1-peer-2@2:tree-sum,partition:peer-1,peer-2,peer-3|peer-4,peer-5,peer-6@3,heal@4:advertise,kill:peer-5@5:unmask",
                                 topology: topology)
        #expect(plan.injections.map(\.description) == ["cut:peer-1-peer-2@2:tree-sum", "partition:peer-1,peer-2,peer-3|peer-4,peer-5,peer-6@3:train",
                                                       "heal@4:advertise", "kill:peer-5@5:unmask"])
        #expect(plan.injections[0].links == [FaultPlan.Link(first: "peer-1", second: "peer-2")])
        #expect(plan.injections[1].links.count == 9 && Set(plan.injections[1].links.map { [$0.first, $0.second].sorted() }).count == 9)
        #expect(plan.injections[1].links.allSatisfy { ["peer-1", "peer-2", "peer-3"].contains($0.first) != ["peer-1", "peer-2", "peer-3"].contains($0.second) })
        #expect(plan.injections[2].links.isEmpty && plan.injections[2].networkPhase == "advertise")
        #expect(plan.injections[3].networkPhase == nil && plan.runArguments(for: "peer-5") == ["--kill-at", "5:unmask"])
        #expect(plan.runArguments(for: "peer-1").isEmpty)
    }

    @Test func aWrongPlanIsNamedWithWhatItShouldBe() {
        let cases = [
            ("kill:peer-9@2:tree-sum", "peer-9 is neither a peer of the topology nor a role"),
            ("kill:peer-1@31:tree-sum", "ROUND must be a round of the topology, 1...30"),
            ("kill:peer-1@2:summing", "PHASE must be one of train, advertise"),
            ("stop:peer-1@2:unmask", "is not one of kill:WHO@ROUND:PHASE"),
            ("stop:peer-1@2:unmask:0", "SECONDS must be a number"),
            ("restart:coordinator@3", "restart takes a peer id"),
            ("explode:peer-1@2", "is not one of kill:WHO@ROUND:PHASE"),
            ("cut:peer-1-peer-3@2:tree-sum", "are not linked in the topology"),
            ("cut:peer-1-peer-9@2:tree-sum", "is not two peers of the topology"),
            ("cut:peer-1-peer-2@2", "is not cut:ID-ID@ROUND:PHASE"),
            ("partition:peer-1,peer-2|peer-3,peer-4@2", "must hold every peer once"),
            ("partition:peer-1,peer-2,peer-3,peer-4,peer-5,peer-6@2", "give two or more parts"),
            ("partition:peer-1,peer-2,peer-3|peer-4,peer-5,peer-7@2", "peer-7 is not a peer"),
            ("heal@2:mending", "PHASE must be one of"),
            ("heal@40", "ROUND must be a round of the topology"),
            ("kill:peer-1@2:tree-sum:10", "is not one of kill:WHO@ROUND:PHASE"),
            ("kill:peer-1@2:checkpoint:-1", "BYTES must be a whole number"),
        ]
        for (plan, message) in cases {
            do {
                _ = try FaultPlan(parsing: plan, topology: topology)
                Issue.record("\(plan) was accepted")
            } catch {
                #expect(error.message.contains(message) && error.message.contains("--inject"), "\(plan): \(error.message)")
            }
        }
    }

    /// The coordinator is the first of the round's coordinator order; the inner node and the
    /// leaf are the first in that order with and without children in the tree from it.
    @Test func rolesFallOnThePeersHoldingThemInTheRoundsTree() throws {
        for round in 1...10 {
            let plan = try FaultPlan(parsing: "kill:coordinator@\(round):tree-sum,kill:inner@\(round):unmask,kill:leaf@\(round):masked-input", topology: topology)
            let order = RoundStructure.coordinatorOrder(round: UInt64(round), peers: ids)
            let tree = RoundStructure.Tree(topology: topology, members: Set(ids), root: order[0])
            let victims = plan.injections.map(\.victim)
            #expect(victims[0] == order[0])
            #expect(victims[1] == order.dropFirst().first { !(tree.children[$0] ?? []).isEmpty })
            #expect(victims[2] == order.dropFirst().first { (tree.children[$0] ?? []).isEmpty })
            #expect(!(tree.children[victims[1]] ?? []).isEmpty && (tree.children[victims[2]] ?? []).isEmpty && victims[1] != victims[0])
        }
    }

    /// A peer killed in an earlier round is not expected in a later one unless restarted, so
    /// the later round's coordinator is another peer.
    @Test func aKilledPeerHoldsNoRoleAfterwardsUntilRestarted() throws {
        let first = try FaultPlan(parsing: "kill:coordinator@2:advertise", topology: topology).injections[0].victim
        let round = try #require((3...30).first { RoundStructure.coordinatorOrder(round: UInt64($0), peers: ids)[0] == first })
        let without = try FaultPlan(parsing: "kill:coordinator@2:advertise,kill:coordinator@\(round):advertise", topology: topology)
        #expect(without.injections[1].victim == RoundStructure.coordinatorOrder(round: UInt64(round), peers: ids.filter { $0 != first })[0])
        #expect(without.injections[1].victim != first)
        let restarted = try FaultPlan(parsing: "kill:coordinator@2:advertise,restart:\(first)@\(round - 1),kill:coordinator@\(round):advertise",
                                      topology: topology)
        #expect(restarted.injections[2].victim == first)
    }
}
