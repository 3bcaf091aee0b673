import Testing
@testable import Gossip

@Suite struct SeenSetTests {
    private func id(_ n: Int) -> [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: n >> (8 * ($0 % 4))) ^ UInt8($0) }
    }

    @Test func aRepeatIsRefusedAndTheOldestIsForgottenFirst() {
        var seen = SeenSet(capacity: 3)
        let fresh = [1, 2, 3].map { seen.insert(id($0)) }
        #expect(fresh == [true, true, true])
        let repeated = seen.insert(id(2))
        #expect(!repeated)
        let fourth = seen.insert(id(4))
        #expect(fourth)
        #expect(!seen.contains(id(1)) && seen.contains(id(2)) && seen.contains(id(3)) && seen.contains(id(4)))
        let fifth = seen.insert(id(5))
        #expect(fifth)
        #expect(!seen.contains(id(2)) && seen.contains(id(3)))
        #expect(seen.count == 3)
    }

    @Test func idsDifferingInAnyByteAreDistinct() {
        var seen = SeenSet(capacity: 64)
        let base = [UInt8](repeating: 0xA5, count: 16)
        var fresh = [seen.insert(base)]
        for position in base.indices {
            var other = base
            other[position] ^= 1
            fresh.append(seen.insert(other))
        }
        #expect(fresh.allSatisfy { $0 })
        #expect(seen.count == 17)
    }

    @Test func manyRoundsOfIdsStayWithinTheCapacity() {
        var seen = SeenSet(capacity: 1000)
        let fresh = (0..<10_000).map { seen.insert(id($0)) }
        #expect(fresh.allSatisfy { $0 })
        #expect(seen.count == 1000)
        #expect((9000..<10_000).allSatisfy { seen.contains(id($0)) })
        #expect(!(0..<9000).contains { seen.contains(id($0)) })
    }
}
