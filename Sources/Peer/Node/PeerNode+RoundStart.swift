extension PeerNode {
    /// Waits, two phase timeouts at most, until every neighbour that answers has ended round
    /// `round - 1` (committed it, or begun a later one). Peers leave a round at different times
    /// (one that completed it at once, one that recovered it after waiting for the others), and a
    /// peer that began the next round alone would advertise to a coordinator still recovering,
    /// or coordinate in its place; starting together keeps one coordinator per round.
    func awaitNeighboursEnding(round previous: Int) async {
        guard previous > 0, previous < finalRound else { return }
        let deadline = ContinuousClock.now + configuration.phaseTimeout * 2
        var behind: [String] = []
        while !isStopping {
            behind = await heads().filter { $0.committed < previous && $0.running <= previous }.map(\.neighbour).sorted()
            if behind.isEmpty || ContinuousClock.now >= deadline { break }
            setState(.waiting, phase: "neighbours")
            try? await Task.sleep(for: .milliseconds(250))
        }
        if !behind.isEmpty {
            log.event("waiting", "round \(previous + 1) begins without waiting longer for \(behind.joined(separator: ", ")), still in round \(previous)",
                      ["round": previous + 1, "behind": behind])
        }
    }
}
