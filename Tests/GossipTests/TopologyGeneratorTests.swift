import Crypto
import Foundation
import Testing
@testable import Gossip

@Suite struct TopologyGeneratorTests {
    @Test(arguments: [
        (TopologyGenerator.Kind.ring, 4, 4), (.ring, 7, 7), (.line, 2, 1), (.line, 5, 4), (.star, 5, 4), (.complete, 3, 3),
        (.complete, 6, 15), (.torus, 9, 18), (.torus, 12, 24), (.randomRegular, 16, 24),
    ])
    func shapesHaveTheirLinkCountsAndValidate(kind: TopologyGenerator.Kind, peers: Int, links: Int) throws {
        var request = TopologyGenerator.Request(kind: kind, peerCount: peers)
        request.degree = kind == .randomRegular ? 3 : nil
        let output = try TopologyGenerator.generate(request)
        #expect(output.topology.peers.count == peers)
        #expect(output.topology.links.count == links)
        #expect(Set(output.topology.peers.map(\.key)) == Set(output.identities.map(\.key.publicKey)))
        // The written text parses back to the same federation.
        let reparsed = try TopologyParser.parse(Array(output.text.utf8), file: "x")
        #expect(reparsed.federationID == output.topology.federationID)
    }

    @Test func randomRegularIsRegularConnectedAndSeeded() throws {
        var request = TopologyGenerator.Request(kind: .randomRegular, peerCount: 16)
        request.degree = 4
        request.seed = 7
        let first = try TopologyGenerator.generate(request), second = try TopologyGenerator.generate(request)
        #expect(first.topology.neighbours.values.allSatisfy { $0.count == 4 })
        #expect(first.topology.links == second.topology.links)
        request.seed = 8
        #expect(try TopologyGenerator.generate(request).topology.links != first.topology.links)
    }

    @Test(arguments: [(TopologyGenerator.Kind.torus, 8, nil as Int?), (.torus, 7, nil), (.randomRegular, 5, 3), (.randomRegular, 4, 4),
                      (.ring, 2, nil), (.line, 1, nil)])
    func impossibleShapesAreRefused(kind: TopologyGenerator.Kind, peers: Int, degree: Int?) {
        var request = TopologyGenerator.Request(kind: kind, peerCount: peers)
        request.degree = degree
        #expect(throws: TopologyGenerator.Failure.self) { try TopologyGenerator.generate(request) }
    }

    @Test func portsAndHostAreApplied() throws {
        var request = TopologyGenerator.Request(kind: .line, peerCount: 3)
        request.host = "10.1.2.3"
        request.basePort = 9000
        let peers = try TopologyGenerator.generate(request).topology.peers
        #expect(peers.map(\.address.description) == ["10.1.2.3:9000", "10.1.2.3:9001", "10.1.2.3:9002"])
        #expect(peers.map { $0.status?.port } == [9003, 9004, 9005])
    }
}

@Suite struct TopologyAnalysisTests {
    func analysis(_ kind: TopologyGenerator.Kind, _ peers: Int) throws -> TopologyAnalysis {
        TopologyAnalysis(try TopologyGenerator.generate(.init(kind: kind, peerCount: peers)).topology)
    }

    /// Figures computed by hand: ring of 4 has W = (I + A)/3 with eigenvalues 1, 1/3, 1/3, -1/3;
    /// complete of 3 has W = J/3 (eigenvalues 1, 0, 0); a star of 4 has eigenvalues 1, 3/4, 3/4, 0.
    @Test func smallGraphsMatchHandComputedFigures() throws {
        let ring = try analysis(.ring, 4)
        #expect(ring.diameter == 2)
        #expect(ring.treeDepthRange == 2...2)
        #expect(abs(ring.spectralGap - 2.0 / 3) < 1e-9)
        #expect(ring.minimumDegree == 2 && ring.maximumDegree == 2)
        let complete = try analysis(.complete, 3)
        #expect(complete.diameter == 1)
        #expect(abs(complete.spectralGap - 1) < 1e-9)
        let star = try analysis(.star, 4)
        #expect(star.diameter == 2)
        #expect(star.treeDepthRange == 1...2)
        #expect(abs(star.spectralGap - 0.25) < 1e-9)
        #expect(star.minimumDegree == 1 && star.maximumDegree == 3 && star.meanDegree == 1.5)
        let line = try analysis(.line, 5)
        #expect(line.diameter == 4)
        #expect(line.treeDepthRange == 2...4)
    }

    @Test func warningsForTwoPeersAndLowThresholds() throws {
        let pair = try analysis(.line, 2)
        #expect(pair.warnings.contains { $0.contains("two peers cannot aggregate privately") })
        let ring = try analysis(.ring, 4)
        #expect(ring.warnings.isEmpty)
        let text = try TopologyGenerator.generate(.init(kind: .ring, peerCount: 4)).text
            .replacingOccurrences(of: "\"threshold\": 3", with: "\"threshold\": 2")
        let low = TopologyAnalysis(try TopologyParser.parse(Array(text.utf8), file: "x"))
        #expect(low.warnings.contains { $0.contains("at most half") })
    }

    @Test func largeGraphsGetAnEstimatedGap() throws {
        var request = TopologyGenerator.Request(kind: .randomRegular, peerCount: 400)
        request.degree = 6
        let figures = TopologyAnalysis(try TopologyGenerator.generate(request).topology)
        #expect(figures.spectralGapIsEstimate)
        #expect(figures.spectralGap > 0.05 && figures.spectralGap < 1)
    }
}
