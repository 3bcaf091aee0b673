/// The version of the peer software, reported by `peer --version` and, later, by status.
public enum PeerVersion {
    /// Semantic version of this build.
    public static let current = "0.2.0"
}
