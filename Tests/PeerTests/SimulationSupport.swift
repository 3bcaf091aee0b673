import Crypto
import Foundation
import Synchronization
@testable import Gossip
@testable import Peer

/// A topology of `kind` with chosen aggregation settings, and its peers' identities.
func federation(_ kind: TopologyGenerator.Kind, peers: Int, threshold: Int, masking: AggregationSettings.Masking = .complete,
                degree: Int? = nil, ringBits: Int = 32) throws -> (Topology, [String: IdentityKey]) {
    var request = TopologyGenerator.Request(kind: kind, peerCount: peers)
    request.degree = degree
    let generated = try TopologyGenerator.generate(request)
    let settings = AggregationSettings(threshold: threshold, masking: masking, ringBits: ringBits, fractionBits: 16, clip: 4, maxWeight: 10_000)
    let text = TopologyWriter.text(name: "sim", peers: generated.topology.peers, links: generated.topology.links,
                                   aggregation: settings, training: .defaults)
    let topology = try TopologyParser.parse(Array(text.utf8), file: "sim")
    return (topology, Dictionary(uniqueKeysWithValues: generated.identities.map { ($0.id, $0.key) }))
}

/// The exact ring sum the contributors' encoded inputs must unmask to.
func expectedSum<Word: RingWord>(_ report: Simulation.RoundReport, request: Simulation.Request, word: Word.Type) throws -> [UInt8] {
    let codec = try FixedPoint<Word>(clip: Float(request.topology.aggregation.clip), fractionBits: request.topology.aggregation.fractionBits)
    let live = request.topology.peers.map(\.id)
    let data = Simulation.inputs(peers: live.filter { report.outcomes[$0] != nil }, dimension: request.dimension, seed: request.seed,
                                 round: report.round)
    var sum = [Word](repeating: 0, count: request.dimension + 1)
    for contributor in report.contributors {
        let (input, weight) = data[contributor]!
        let w = Float(min(max(weight, 0), 1))
        let (words, _) = try codec.encode(input.map { $0 * w } + [w])
        for i in sum.indices { sum[i] &+= words[i] }
    }
    return sum.withUnsafeBytes { Array($0) }
}

/// Collects log lines from concurrent peers.
final class LogRecorder: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }
    func append(_ line: String) { storage.withLock { $0.append(line) } }
}
