public import Crypto

/// Generates topology files of the standard shapes, with fresh identity keys.
public enum TopologyGenerator {
    /// The shapes `peer topology generate` knows.
    public enum Kind: String, CaseIterable, Sendable {
        case ring, line, star, complete, torus
        case randomRegular = "random-regular"
    }

    /// What to generate.
    public struct Request: Sendable {
        public var kind: Kind
        public var peerCount: Int
        public var host = "127.0.0.1"
        /// Peer i listens on basePort + i and serves status on basePort + peerCount + i.
        public var basePort = 7400
        /// For random-regular.
        public var degree: Int?
        public var seed: UInt64 = 1
        public var name: String?
        /// The training section (checked as the parser checks a file's).
        public var training: TrainingSettings = .defaults

        public init(kind: Kind, peerCount: Int) {
            self.kind = kind
            self.peerCount = peerCount
        }
    }

    /// A generated federation: the file text and each peer's fresh identity.
    public struct Output: Sendable {
        public let text: String
        public let topology: Topology
        /// Secret identities by peer id, for `--keys-dir`.
        public let identities: [(id: String, key: IdentityKey)]
    }

    /// Why a request cannot be generated.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public let option: String
        public let problem: String
        public var description: String { "\(option): \(problem)" }
    }

    /// Generates the topology; the result has been through the parser, so it is valid.
    /// - Throws: `Failure` naming the option at fault (e.g. an impossible torus size).
    public static func generate(_ request: Request) throws(Failure) -> Output {
        let n = request.peerCount
        let minimum = [Kind.ring: 3, .torus: 9, .randomRegular: 3][request.kind] ?? 2
        guard n >= minimum, n <= 1000 else {
            throw Failure(option: "--peers", problem: "\(request.kind.rawValue) needs \(minimum)...1000 peers, got \(n)")
        }
        guard request.basePort >= 1, request.basePort + 2 * n - 1 <= 65535 else {
            throw Failure(option: "--base-port", problem: "ports \(request.basePort)...\(request.basePort + 2 * n - 1) must fit in 1...65535")
        }
        guard let _ = PeerAddress(parsing: "\(request.host):1") else {
            throw Failure(option: "--host", problem: "'\(request.host)' is not a host name or address")
        }
        let edges = try shapeEdges(request)
        let width = String(n).count
        let ids = (1...n).map { "peer-" + String(repeating: "0", count: width - String($0).count) + String($0) }
        let identities = ids.map { (id: $0, key: IdentityKey()) }
        let peers = identities.enumerated().map { index, identity in
            Topology.Peer(id: identity.id, address: PeerAddress(host: request.host, port: UInt16(request.basePort + index)),
                          status: PeerAddress(host: request.host, port: UInt16(request.basePort + n + index)), key: identity.key.publicKey)
        }
        let links = edges.map { Topology.Link(ids[$0.0], ids[$0.1]) }
        let name = request.name ?? "\(request.kind.rawValue)-\(n)"
        let text = TopologyWriter.text(name: name, peers: peers, links: links,
                                       aggregation: .defaults(peerCount: n), training: request.training)
        do {
            let topology = try TopologyParser.parse(Array(text.utf8), file: "generated")
            return Output(text: text, topology: topology, identities: identities)
        } catch {
            // Only the training settings come from the caller unchecked.
            let options = ["training.model": "--model", "training.imageSize": "--image-size", "training.rounds": "--rounds",
                           "training.localEpochs": "--local-epochs", "training.batchSize": "--batch-size", "training.optimizer": "--optimizer",
                           "training.learningRate": "--learning-rate", "training.seed": "--training-seed"]
            throw Failure(option: options[error.field] ?? error.field, problem: "\(error.value.map { $0 + " " } ?? "")\(error.problem); \(error.fix)")
        }
    }

    /// The edges (by peer index) of the requested shape.
    static func shapeEdges(_ request: Request) throws(Failure) -> [(Int, Int)] {
        let n = request.peerCount
        switch request.kind {
        case .line:
            return (0..<(n - 1)).map { ($0, $0 + 1) }
        case .ring:
            return (0..<(n - 1)).map { ($0, $0 + 1) } + [(0, n - 1)]
        case .star:
            return (1..<n).map { (0, $0) }
        case .complete:
            return (0..<n).flatMap { a in ((a + 1)..<n).map { (a, $0) } }
        case .torus:
            guard let rows = torusRows(n) else {
                throw Failure(option: "--peers", problem: "a torus needs rows x columns peers with both at least 3; \(n) has no such factors (try 9, 12, 16, 20, 25)")
            }
            let columns = n / rows
            var edges: [(Int, Int)] = []
            for r in 0..<rows {
                for c in 0..<columns {
                    let node = r * columns + c
                    let right = r * columns + (c + 1) % columns, down = ((r + 1) % rows) * columns + c
                    edges.append((min(node, right), max(node, right)))
                    edges.append((min(node, down), max(node, down)))
                }
            }
            return edges
        case .randomRegular:
            let degree = request.degree ?? 3
            var generator = SeededGenerator(seed: request.seed)
            do {
                return try RandomRegularGraph.edges(nodeCount: n, degree: degree, using: &generator)
            } catch {
                throw Failure(option: "--degree", problem: "no connected \(degree)-regular graph on \(n) peers: it needs 1 <= degree < peers and peers x degree even")
            }
        }
    }

    /// The factor of n nearest its square root with both factors at least 3, if any.
    static func torusRows(_ n: Int) -> Int? {
        stride(from: Int(Double(n).squareRoot()), through: 3, by: -1).first { n % $0 == 0 && n / $0 >= 3 }
    }
}
