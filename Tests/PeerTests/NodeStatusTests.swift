import Foundation
import Testing
@testable import Peer

/// The status document other versions of `peer` read and write.
@Suite struct NodeStatusTests {
    private func document() -> NodeStatus {
        NodeStatus(id: "peer-1", federation: "0e5751c026e5", version: "0.2.0", state: .idle, round: 3, rounds: 5, lastCommittedRound: 3,
                   modelHash: "ab", chainHead: .init(round: 3, modelHash: "ab", signedBy: "peer-2"), neighbours: [], refusals: [:],
                   history: [], aborts: 0, warnings: ["frozen 6.0 s as it entered unmask of round 2 (--freeze-at)"],
                   freezes: [.init(round: 2, phase: "unmask", seconds: 6)])
    }

    @Test func freezesTravelInTheDocument() throws {
        let decoded = try JSONDecoder().decode(NodeStatus.self, from: JSONEncoder().encode(document()))
        #expect(decoded == document())
        #expect(decoded.freezes == [.init(round: 2, phase: "unmask", seconds: 6)])
    }

    /// A peer of a version before the field sends no "freezes": its status still reads.
    @Test func aDocumentWithoutFreezesStillDecodes() throws {
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(document())) as? [String: Any])
        #expect(object.removeValue(forKey: "freezes") != nil)
        let decoded = try JSONDecoder().decode(NodeStatus.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(decoded.freezes == nil)
        #expect(decoded.round == 3 && decoded.warnings.count == 1)
    }
}
