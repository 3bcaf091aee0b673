internal import Foundation

/// How a federation aggregates: the `aggregation` section of a topology file.
public struct AggregationSettings: Equatable, Sendable {
    /// Which pairs of peers share masks.
    public enum Masking: Equatable, Sendable, CustomStringConvertible {
        /// Every pair (cross-silo, up to about 100 peers).
        case complete
        /// A random `degree`-regular mask graph per round (SecAgg+ style, for large federations).
        case regular(degree: Int)

        /// Parses `complete` or `regular:K`.
        public init?(text: String) {
            if text == "complete" { self = .complete; return }
            guard text.hasPrefix("regular:"), let degree = Int(text.dropFirst("regular:".count)) else { return nil }
            self = .regular(degree: degree)
        }

        public var description: String {
            switch self {
            case .complete: return "complete"
            case .regular(let degree): return "regular:\(degree)"
            }
        }
    }

    /// Shares needed to rebuild a peer's secrets; also the fewest peers a round can finish with.
    public let threshold: Int
    public let masking: Masking
    /// 32 or 64: the ring Z/2^ringBits.
    public let ringBits: Int
    public let fractionBits: Int
    /// Update values are clipped to [-clip, clip] before encoding.
    public let clip: Double
    /// A peer's weight is min(1, sampleCount / maxWeight).
    public let maxWeight: Int

    public init(threshold: Int, masking: Masking, ringBits: Int, fractionBits: Int, clip: Double, maxWeight: Int) {
        self.threshold = threshold
        self.masking = masking
        self.ringBits = ringBits
        self.fractionBits = fractionBits
        self.clip = clip
        self.maxWeight = maxWeight
    }

    /// Defaults for `peerCount` peers: a strict majority threshold, complete masking up to 100
    /// peers (regular with degree about 2 log2 n beyond), 32-bit ring, 16 fraction bits, clip 4.
    public static func defaults(peerCount: Int) -> AggregationSettings {
        let masking: Masking
        if peerCount <= 100 {
            masking = .complete
        } else {
            var degree = 2 * Int(log2(Double(peerCount)).rounded(.up))
            if peerCount * degree % 2 == 1 { degree += 1 }
            masking = .regular(degree: degree)
        }
        return AggregationSettings(threshold: defaultThreshold(peerCount: peerCount, masking: masking), masking: masking, ringBits: 32,
                                   fractionBits: 16, clip: 4, maxWeight: 10_000)
    }

    /// The fewest contributors a round of a federation of `peerCount` completes with: the
    /// threshold, a strict majority of the federation, and at least 3 unless the federation has
    /// 2 peers. Two disjoint sets of peers cannot both reach a strict majority, so two parts of
    /// a partition (or the followers of two coordinators) never both complete a round: the
    /// model never forks, whatever the threshold. With 2 contributors each would learn the
    /// other's update from the sum.
    public func quorum(peerCount: Int) -> Int {
        max(threshold, peerCount / 2 + 1, min(3, peerCount))
    }

    /// A strict majority of the holders of each peer's shares (all peers with complete
    /// masking, the K mask neighbours and the peer itself with regular:K), at least 2.
    public static func defaultThreshold(peerCount: Int, masking: Masking) -> Int {
        let holders = masking == .complete ? peerCount : min(peerCount, masking.degree + 1)
        return max(2, min(holders, holders / 2 + 1))
    }
}

extension AggregationSettings.Masking {
    /// Mask neighbours per peer in a federation of `peerCount`.
    func degree(peerCount: Int) -> Int {
        switch self {
        case .complete: return peerCount - 1
        case .regular(let degree): return degree
        }
    }

    /// The degree of a regular mask graph; 0 for complete masking.
    var degree: Int {
        if case .regular(let degree) = self { return degree }
        return 0
    }
}
