internal import Foundation
import Gossip
import Synchronization
/// The status document as the node keeps it, with the instants its durations are counted from.
struct LiveStatus: Sendable {
    var document: NodeStatus
    var phaseStarted: ContinuousClock.Instant?
    /// When the node was made, in this process.
    let started = ContinuousClock.now
    /// Handshakes the transport refused.
    var transportRefusals = 0
}
