import Crypto
import Foundation
import Testing
@testable import Gossip

@Suite struct TopologyParserTests {
    /// A valid 4-peer ring, generated fresh, as text to mutate.
    let ring: String = try! TopologyGenerator.generate(.init(kind: .ring, peerCount: 4)).text

    func parse(_ text: String) throws -> Topology {
        try TopologyParser.parse(Array(text.utf8), file: "ring-4.json")
    }

    /// Replaces exactly one occurrence, so a mutation never silently does nothing.
    func replacing(_ old: String, with new: String, in text: String? = nil) -> String {
        let text = text ?? ring
        precondition(text.components(separatedBy: old).count == 2, "'\(old)' must occur exactly once")
        return text.replacingOccurrences(of: old, with: new)
    }

    @Test func validFileParsesWithItsFederationID() throws {
        let topology = try parse(ring)
        #expect(topology.peers.map(\.id) == ["peer-1", "peer-2", "peer-3", "peer-4"])
        #expect(topology.links.count == 4)
        #expect(topology.neighbours["peer-1"] == ["peer-2", "peer-4"])
        #expect(topology.areNeighbours("peer-4", "peer-1"))
        #expect(!topology.areNeighbours("peer-1", "peer-3"))
        #expect(topology.federationID == FederationID(topologyFileBytes: Array(ring.utf8)))
        #expect(topology.aggregation.threshold == 3)
        #expect(topology.training == .defaults)
    }

    static let invalidCases: [(old: String, new: String, field: String, problem: String)] = [
        (#"["peer-1", "peer-2"]"#, #"["peer-1", "peer-9"]"#, "links[0][1]", "is not a peer"),
        (#"["peer-1", "peer-2"]"#, #"["peer-1", "peer-1"]"#, "links[0]", "links a peer to itself"),
        (#"["peer-2", "peer-3"]"#, #"["peer-2", "peer-1"]"#, "links[1]", "repeats"),
        (#""id": "peer-2""#, #""id": "peer-1""#, "peers[1].id", "duplicate id"),
        (#""id": "peer-2""#, #""id": "peer 2""#, "peers[1].id", "not a valid id"),
        ("127.0.0.1:7401", "127.0.0.1:7400", "peers[1].address", "used by another peer"),
        ("127.0.0.1:7400", "127.0.0.1:99999", "peers[0].address", "not host:port"),
        ("127.0.0.1:7400", "127.0.0.1", "peers[0].address", "not host:port"),
        (#""key": "ed25519:"#, #""key": "ed25519:AAAA"#, "peers[0].key", "does not decode"),
        ("\"threshold\": 3", "\"threshold\": 1", "aggregation.threshold", "out of range"),
        ("\"threshold\": 3", "\"threshold\": 5", "aggregation.threshold", "out of range"),
        ("\"complete\"", "\"sparse\"", "aggregation.masking", "not known"),
        ("\"complete\"", "\"regular:5\"", "aggregation.masking", "impossible"),
        ("\"ringBits\": 32", "\"ringBits\": 48", "aggregation.ringBits", "not a ring width"),
        ("\"fractionBits\": 16", "\"fractionBits\": 28", "aggregation.fractionBits", "overflows the ring"),
        ("\"clip\": 4.0", "\"clip\": -1", "aggregation.clip", "out of range"),
        ("\"resnet18\"", "\"vgg16\"", "training.model", "not known"),
        ("\"imageSize\": 128", "\"imageSize\": 12.5", "training.imageSize", "expected an integer"),
        ("\"links\":", "\"link\":", "link", "unknown field"),
        ("\"seed\": 1}", "\"seed\": 1, \"sead\": 2}", "training.sead", "unknown field"),
        ("\"seed\": 1}", "\"seed\": 1, \"seed\": 2}", "training.seed", "appears twice"),
        ("\"format\": 1", "\"format\": 2", "format", "not a format"),
        ("\"format\": 1,", "\"format\": 1", "", "not valid JSON at line 3"),
    ]

    @Test(arguments: 0..<invalidCases.count)
    func invalidFilesNameTheFieldAndTheFix(index: Int) throws {
        let (old, new, field, problem) = Self.invalidCases[index]
        let text = ring.replacingOccurrences(of: old, with: new)
        #expect(text != ring, "the mutation must change the file")
        #expect {
            try parse(text)
        } throws: { error in
            guard let error = error as? TopologyError else { return false }
            return error.file == "ring-4.json" && error.field == field && error.problem.contains(problem) && !error.fix.isEmpty
        }
    }

    @Test func disconnectedGraphIsRefused() throws {
        let text = replacing("    [\"peer-2\", \"peer-3\"],\n", with: "", in: replacing(",\n    [\"peer-1\", \"peer-4\"]", with: ""))
        #expect {
            try parse(text)
        } throws: { error in
            guard let error = error as? TopologyError else { return false }
            return error.field == "links" && error.problem.contains("disconnected")
        }
    }

    @Test func unknownFieldSuggestsTheNearestName() {
        let text = replacing("\"maxWeight\"", with: "\"maxWieght\"")
        #expect {
            try parse(text)
        } throws: { error in
            (error as? TopologyError)?.fix.contains("did you mean 'maxWeight'") == true
        }
    }

    @Test(arguments: ["10.0.0.11:7400", "[::1]:7400", "[fe80::1]:1", "host.example:65535", "localhost:7"])
    func validAddressesParse(text: String) throws {
        let address = try #require(PeerAddress(parsing: text))
        #expect(address.description == text)
    }

    @Test(arguments: ["10.0.0.11", ":7400", "host:0", "host:65536", "[::1]7400", "bad host:1", "-a.example:1", "host:+1", "[]:1"])
    func invalidAddressesDoNot(text: String) {
        #expect(PeerAddress(parsing: text) == nil)
    }
}
