/// What the round protocol needs from a network: authenticated broadcast (the flooding
/// overlay), authenticated messages to topology neighbours, and a view of who is alive.
/// The real transport and the in-memory simulation both provide it.
public protocol RoundNetwork: Sendable {
    /// Delivers `message` to every other live peer, attributed to this peer.
    func broadcast(_ message: [UInt8]) async
    /// Sends `message` to the neighbour `peer`; false when it cannot be reached now.
    func send(_ message: [UInt8], to peer: String) async -> Bool
    /// Whether `peer` is believed alive (the failure detector's view).
    func isLive(_ peer: String) -> Bool
    /// Whether this peer watches `peer` first-hand (a failure detector on a direct link); a
    /// peer it does not watch counts as alive in `isLive`, whatever became of it.
    func watches(_ peer: String) -> Bool
}
