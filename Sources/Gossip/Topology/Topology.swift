public import Crypto

/// A federation as its topology file describes it: the peers, the links between them, and the
/// aggregation and training settings every peer runs with. Built only by `TopologyParser`
/// (or the generator, through the parser), so every value here has been validated.
public struct Topology: Sendable {
    /// One peer: a hospital's process.
    public struct Peer: Hashable, Sendable {
        /// Unique id: 1...64 characters of `A-Z a-z 0-9 . _ -`.
        public let id: String
        /// Where its peer-to-peer listener is.
        public let address: PeerAddress
        /// Where its status endpoint is, if it has one.
        public let status: PeerAddress?
        /// Its pinned Ed25519 identity.
        public let key: IdentityPublicKey

        public init(id: String, address: PeerAddress, status: PeerAddress?, key: IdentityPublicKey) {
            self.id = id
            self.address = address
            self.status = status
            self.key = key
        }
    }

    /// An undirected link between two peers, stored with the smaller id first.
    public struct Link: Hashable, Sendable {
        public let first: String
        public let second: String

        /// The link between `a` and `b`, in canonical order.
        public init(_ a: String, _ b: String) {
            (first, second) = KeyAgreement.precedes(a, b) ? (a, b) : (b, a)
        }
    }

    /// The only format this build reads.
    public static let format = 1

    public let name: String
    /// Peers in file order.
    public let peers: [Peer]
    /// Links in file order.
    public let links: [Link]
    public let aggregation: AggregationSettings
    public let training: TrainingSettings
    /// BLAKE2b of the file's exact bytes.
    public let federationID: FederationID

    /// Neighbour ids of every peer, sorted canonically.
    public let neighbours: [String: [String]]

    init(name: String, peers: [Peer], links: [Link], aggregation: AggregationSettings, training: TrainingSettings,
         federationID: FederationID) {
        self.name = name
        self.peers = peers
        self.links = links
        self.aggregation = aggregation
        self.training = training
        self.federationID = federationID
        var neighbours = Dictionary(uniqueKeysWithValues: peers.map { ($0.id, [String]()) })
        for link in links {
            neighbours[link.first, default: []].append(link.second)
            neighbours[link.second, default: []].append(link.first)
        }
        self.neighbours = neighbours.mapValues { $0.sorted(by: KeyAgreement.precedes) }
    }

    /// The peer with `id`, if any.
    public func peer(_ id: String) -> Peer? { peers.first { $0.id == id } }

    /// Whether `a` and `b` share a link.
    public func areNeighbours(_ a: String, _ b: String) -> Bool { neighbours[a]?.contains(b) ?? false }
}
