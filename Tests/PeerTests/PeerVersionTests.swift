import Testing
@testable import Peer

@Suite struct PeerVersionTests {
    @Test func versionIsSemantic() {
        let parts = PeerVersion.current.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}
