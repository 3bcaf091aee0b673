import Testing
@testable import Gossip

@Suite struct FederationIDTests {
    @Test func idIsTheBlake2bOfTheExactBytes() {
        // BLAKE2b-256 of the empty string (the BLAKE2 reference value).
        let empty = FederationID(topologyFileBytes: [UInt8]())
        #expect(empty.hex == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(empty.short == "0e5751c026e5")
        #expect(empty.description == empty.short)
    }

    @Test func oneByteChangesTheFederation() {
        let file = Array(#"{"format": 1, "name": "ring-4"}"#.utf8)
        var edited = file
        edited[edited.count - 3] = UInt8(ascii: "5")
        #expect(FederationID(topologyFileBytes: file) != FederationID(topologyFileBytes: edited))
        #expect(FederationID(topologyFileBytes: file) == FederationID(topologyFileBytes: file))
    }
}
