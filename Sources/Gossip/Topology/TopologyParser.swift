import Crypto
internal import Foundation

/// Reads and validates topology files (format 1). Every rule names the field it checks.
public enum TopologyParser {
    /// Topology files larger than this are refused before reading.
    public static let maximumFileByteCount = 16 << 20
    /// Characters allowed in peer ids.
    static let idCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")

    /// Loads and validates the topology file at `path`.
    /// - Throws: `TopologyError` naming the file, the field and the fix.
    public static func load(_ path: String) throws(TopologyError) -> Topology {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue, let data = FileManager.default.contents(atPath: path) else {
            throw TopologyError(file: path, field: "", problem: "cannot be read", fix: "check the path and its permissions")
        }
        guard size <= maximumFileByteCount else {
            throw TopologyError(file: path, field: "", value: "\(size) bytes", problem: "is too large",
                                fix: "topology files are at most \(maximumFileByteCount) bytes")
        }
        return try parse(Array(data), file: path)
    }

    /// Validates the bytes of a topology file; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws(TopologyError) -> Topology {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw TopologyError(file: file, field: "", problem: "is not valid JSON at \(error)", fix: "fix the JSON syntax there")
        }
        let top = try ObjectReader(document, path: "", file: file)
        try top.refuseUnknown(["format", "name", "peers", "links", "aggregation", "training"])
        guard case .number("1") = try top.required("format") else {
            throw top.error("format", top.value("format"), "is not a format this build reads", fix: "use \"format\": 1")
        }
        guard let name = try top.string("name"), !name.isEmpty else {
            throw top.error("name", top.value("name"), "must be a non-empty string", fix: "name the federation, e.g. \"ring-4\"")
        }
        let peers = try parsePeers(try top.required("peers"), file: file)
        let links = try parseLinks(try top.required("links"), peers: peers, file: file)
        try checkConnected(peers: peers, links: links, file: file)
        let aggregation = try parseAggregation(top.value("aggregation"), peerCount: peers.count, file: file)
        let training = try parseTraining(top.value("training"), file: file)
        return Topology(name: name, peers: peers, links: links, aggregation: aggregation, training: training,
                        federationID: FederationID(topologyFileBytes: bytes))
    }

    // MARK: - Peers

    static func parsePeers(_ value: JSONValue, file: String) throws(TopologyError) -> [Topology.Peer] {
        guard case .array(let items) = value, items.count >= 2 else {
            throw TopologyError(file: file, field: "peers", value: value.shortDescription, problem: "must be an array of at least two peers",
                                fix: "list every peer as {\"id\", \"address\", \"status\", \"key\"}")
        }
        var peers: [Topology.Peer] = []
        var ids = Set<String>(), addresses = Set<PeerAddress>(), keys = Set<IdentityPublicKey>()
        for (index, item) in items.enumerated() {
            let reader = try ObjectReader(item, path: "peers[\(index)]", file: file)
            try reader.refuseUnknown(["id", "address", "status", "key"])
            guard let id = try reader.string("id") else { throw reader.error("id", nil, "is missing", fix: "give every peer an id") }
            guard (1...64).contains(id.count), id.allSatisfy(idCharacters.contains) else {
                throw reader.error("id", .string(id), "is not a valid id", fix: "use 1 to 64 characters of A-Z a-z 0-9 . _ -")
            }
            guard ids.insert(id).inserted else { throw reader.error("id", .string(id), "is a duplicate id", fix: "give every peer its own id") }
            let address = try parseAddress(reader, "address", required: true)!
            let status = try parseAddress(reader, "status", required: false)
            guard addresses.insert(address).inserted else {
                throw reader.error("address", .string(address.description), "is used by another peer", fix: "give every peer its own address")
            }
            if let status {
                guard status != address, addresses.insert(status).inserted else {
                    throw reader.error("status", .string(status.description), "is used by another listener", fix: "give the status endpoint its own port")
                }
            }
            guard let keyText = try reader.string("key") else {
                throw reader.error("key", nil, "is missing", fix: "add the peer's public key from 'peer keygen'")
            }
            let key: IdentityPublicKey
            do {
                key = try IdentityPublicKey(text: keyText)
            } catch {
                throw reader.error("key", .string(keyText), "does not decode: \(error)", fix: "paste the \"ed25519:...\" line that 'peer keygen' printed")
            }
            guard keys.insert(key).inserted else { throw reader.error("key", .string(keyText), "is another peer's key", fix: "give every peer its own key") }
            peers.append(Topology.Peer(id: id, address: address, status: status, key: key))
        }
        return peers
    }

    static func parseAddress(_ reader: ObjectReader, _ key: String, required: Bool) throws(TopologyError) -> PeerAddress? {
        guard let text = try reader.string(key) else {
            if required { throw reader.error(key, nil, "is missing", fix: "write host:port, e.g. \"10.0.0.11:7400\"") }
            return nil
        }
        guard let address = PeerAddress(parsing: text) else {
            throw reader.error(key, .string(text), "is not host:port", fix: "write e.g. \"10.0.0.11:7400\", \"[::1]:7400\" or \"host.example:7400\"")
        }
        return address
    }

    // MARK: - Links

    static func parseLinks(_ value: JSONValue, peers: [Topology.Peer], file: String) throws(TopologyError) -> [Topology.Link] {
        guard case .array(let items) = value else {
            throw TopologyError(file: file, field: "links", value: value.shortDescription, problem: "must be an array",
                                fix: "list links as [\"id-a\", \"id-b\"] pairs")
        }
        let ids = Set(peers.map(\.id))
        var links: [Topology.Link] = [], seen = Set<Topology.Link>()
        for (index, item) in items.enumerated() {
            let field = "links[\(index)]"
            guard case .array(let ends) = item, ends.count == 2 else {
                throw TopologyError(file: file, field: field, value: item.shortDescription, problem: "must be a pair of peer ids",
                                    fix: "write [\"id-a\", \"id-b\"]")
            }
            var names: [String] = []
            for (end, endValue) in ends.enumerated() {
                guard case .string(let id) = endValue, ids.contains(id) else {
                    throw TopologyError(file: file, field: "\(field)[\(end)]", value: endValue.shortDescription, problem: "is not a peer of this file",
                                        fix: "use an id listed in \"peers\"")
                }
                names.append(id)
            }
            guard names[0] != names[1] else {
                throw TopologyError(file: file, field: field, value: item.shortDescription, problem: "links a peer to itself", fix: "remove it")
            }
            let link = Topology.Link(names[0], names[1])
            guard seen.insert(link).inserted else {
                throw TopologyError(file: file, field: field, value: item.shortDescription, problem: "repeats an earlier link", fix: "remove it")
            }
            links.append(link)
        }
        return links
    }

    static func checkConnected(peers: [Topology.Peer], links: [Topology.Link], file: String) throws(TopologyError) {
        let graph = PeerGraph(ids: peers.map(\.id), links: links)
        let reached = graph.distances(from: 0).filter { $0 >= 0 }.count
        guard reached == peers.count else {
            let unreachable = graph.distances(from: 0).enumerated().filter { $0.element < 0 }.map { graph.ids[$0.offset] }
            throw TopologyError(file: file, field: "links", value: nil,
                                problem: "leave the graph disconnected: \(unreachable.prefix(5).joined(separator: ", ")) cannot be reached from \(peers[0].id)",
                                fix: "add links so that every peer can reach every other")
        }
    }

    // MARK: - Settings

    static func parseAggregation(_ value: JSONValue?, peerCount: Int, file: String) throws(TopologyError) -> AggregationSettings {
        let defaults = AggregationSettings.defaults(peerCount: peerCount)
        guard let value else { return defaults }
        let reader = try ObjectReader(value, path: "aggregation", file: file)
        try reader.refuseUnknown(["threshold", "masking", "ringBits", "fractionBits", "clip", "maxWeight"])
        var masking = defaults.masking
        if let text = try reader.string("masking") {
            guard let parsed = AggregationSettings.Masking(text: text) else {
                throw reader.error("masking", .string(text), "is not known", fix: "use \"complete\" or \"regular:K\"")
            }
            if case .regular(let degree) = parsed {
                guard degree >= 2, degree < peerCount, peerCount * degree % 2 == 0 else {
                    throw reader.error("masking", .string(text), "names an impossible regular mask graph",
                                       fix: "use 2 <= K < \(peerCount) peers with peers x K even")
                }
            }
            masking = parsed
        }
        let holders = masking == .complete ? peerCount : masking.degree + 1
        let threshold = try reader.integer("threshold", in: 2...max(2, holders)) ?? min(defaults.threshold, holders)
        guard threshold <= peerCount else {
            throw reader.error("threshold", .number("\(threshold)"), "exceeds the number of peers", fix: "use 2...\(peerCount)")
        }
        let ringBits = try reader.integer("ringBits", in: 32...64) ?? defaults.ringBits
        guard ringBits == 32 || ringBits == 64 else {
            throw reader.error("ringBits", .number("\(ringBits)"), "is not a ring width", fix: "use 32 or 64")
        }
        let fractionBits = try reader.integer("fractionBits", in: 0...(ringBits - 2)) ?? defaults.fractionBits
        let clip = try reader.number("clip", where: { $0 > 0 }, requirement: "positive") ?? defaults.clip
        let maxWeight = try reader.integer("maxWeight", in: 1...Int(Int32.max)) ?? defaults.maxWeight
        do {
            if ringBits == 32 {
                try FixedPoint<UInt32>(clip: Float(clip), fractionBits: fractionBits).checkCapacity(peerCount: peerCount)
            } else {
                try FixedPoint<UInt64>(clip: Float(clip), fractionBits: fractionBits).checkCapacity(peerCount: peerCount)
            }
        } catch {
            throw reader.error("fractionBits", .number("\(fractionBits)"), "overflows the ring: \(error)", fix: "lower fractionBits or clip, or use ringBits 64")
        }
        return AggregationSettings(threshold: threshold, masking: masking, ringBits: ringBits, fractionBits: fractionBits,
                                   clip: clip, maxWeight: maxWeight)
    }

    static func parseTraining(_ value: JSONValue?, file: String) throws(TopologyError) -> TrainingSettings {
        let defaults = TrainingSettings.defaults
        guard let value else { return defaults }
        let reader = try ObjectReader(value, path: "training", file: file)
        try reader.refuseUnknown(["model", "imageSize", "rounds", "localEpochs", "batchSize", "optimizer", "learningRate", "seed"])
        return TrainingSettings(
            model: try reader.oneOf("model", TrainingSettings.models) ?? defaults.model,
            imageSize: try reader.integer("imageSize", in: 16...1024) ?? defaults.imageSize,
            rounds: try reader.integer("rounds", in: 1...1_000_000) ?? defaults.rounds,
            localEpochs: try reader.integer("localEpochs", in: 1...1000) ?? defaults.localEpochs,
            batchSize: try reader.integer("batchSize", in: 1...4096) ?? defaults.batchSize,
            optimizer: try reader.oneOf("optimizer", TrainingSettings.optimizers) ?? defaults.optimizer,
            learningRate: try reader.number("learningRate", where: { $0 > 0 && $0 < 10 }, requirement: "in (0, 10)") ?? defaults.learningRate,
            seed: try reader.integer("seed", in: 0...Int(Int32.max)) ?? defaults.seed)
    }
}
