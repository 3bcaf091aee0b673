import Crypto

/// The messages of one secure aggregation round (docs/PROTOCOL.md, "Secure aggregation").
/// Wire form: `kind(1) || body`, fields as `WireWriter` lays them out.
enum RoundMessage<Word: RingWord>: Sendable {
    /// A peer's fresh per-round keys, signed by its identity key. Broadcast.
    struct Advertise: Equatable, Sendable {
        let round: UInt64
        let peer: String
        let shareKey: X25519PublicKey
        let maskKey: X25519PublicKey
        /// The hash of the model this peer starts the round from (M(r-1); all zero when the
        /// round carries no model): a coordinator takes only peers that start where it does.
        let base: [UInt8]
        let signature: [UInt8]
    }

    /// The coordinator's list closing a phase, signed by its identity key. Broadcast.
    struct Roster: Equatable, Sendable {
        let round: UInt64
        let coordinator: String
        /// Roster1: the advertisements heard. Roster2: the advertisements of peers whose share
        /// bundles the coordinator holds, with each bundle's hash.
        let entries: [Advertise]
        let bundleHashes: [[UInt8]]
        let signature: [UInt8]
    }

    /// A peer's shares, each sealed to one holder, bound to the coordinator whose Roster1 the
    /// owner accepted (and to that roster's hash), signed by the owner. Broadcast;
    /// content-addressed.
    struct ShareBundle: Equatable, Sendable {
        let round: UInt64
        let owner: String
        let coordinator: String
        /// BLAKE2b-256 of the Roster1 message the shares were made for.
        let rosterHash: [UInt8]
        let holders: [String]
        let sealed: [[UInt8]]
        let signature: [UInt8]
    }

    /// A masked partial sum and whose inputs it holds. Sent to a tree parent. A `separate`
    /// piece (re-parented, or re-sent after its first receiver died) is never merged on the
    /// way: it travels to the root, which adds it only if it overlaps nothing it holds, and
    /// names the peers it has `passed`, to none of which it goes again.
    struct PartialSum: Sendable {
        let round: UInt64
        let contributors: [String]
        let words: [Word]
        var separate = false
        var passed: [String] = []
    }

    /// The coordinator's total: who contributed, who dropped, and the hash of the masked sum. Broadcast.
    struct Total: Equatable, Sendable {
        let round: UInt64
        let coordinator: String
        let contributors: [String]
        let dropped: [String]
        let sumHash: [UInt8]
        let signature: [UInt8]
    }

    /// One revealed share: of `owner`'s self-mask seed (`.selfMask`) or mask key (`.maskKey`).
    struct RevealedShare: Equatable, Sendable {
        enum Kind: UInt8, Sendable { case selfMask = 0, maskKey = 1 }
        let owner: String
        let kind: Kind
        let share: [UInt8]
    }

    /// A holder's reveals for one accepted Total (identified by its hash). Broadcast.
    struct Reveal: Equatable, Sendable {
        let round: UInt64
        let holder: String
        let totalHash: [UInt8]
        let shares: [RevealedShare]
    }

    /// A helper's share of the unmasking: the sum of the masks it removed for the tasks of
    /// `helpers` (itself and the helpers below it in the correction tree). Sent to a tree parent.
    struct Correction: Sendable {
        let round: UInt64
        let totalHash: [UInt8]
        let helpers: [String]
        let words: [Word]
    }

    /// The coordinator's statement of the round's result: the hash of the Aggregate message,
    /// for the Total with `totalHash`. Broadcast.
    struct Outcome: Equatable, Sendable {
        let round: UInt64
        let coordinator: String
        let totalHash: [UInt8]
        let aggregateHash: [UInt8]
        /// The hash of the model the round started from, M(r-1), and of the model it ends
        /// with, M(r): a link of the federation's signed model chain (all zero without a model).
        let base: [UInt8]
        let model: [UInt8]
        let signature: [UInt8]
    }

    /// The answer to a neighbour that missed a round: what this peer keeps of it, if anything.
    /// Sent to the neighbour that asked.
    struct Record: Sendable {
        /// What a peer keeps of a completed round: the accepted Total, the coordinator's
        /// Outcome and the aggregate it names.
        struct Held: Sendable {
            let total: Total
            let outcome: Outcome
            let words: [Word]
        }

        let round: UInt64
        /// Nil when the asked peer keeps no record of the round.
        let held: Held?
    }

    case advertise(Advertise)
    case roster1(Roster)
    case shareBundle(ShareBundle)
    case roster2(Roster)
    case partialSum(PartialSum)
    case total(Total)
    /// The masked sum S, sent down the tree after the Total.
    case sum(round: UInt64, words: [Word])
    case reveal(Reveal)
    case correction(Correction)
    case outcome(Outcome)
    /// The unmasked sum, sent down the correction tree after the Outcome; content-addressed.
    case aggregate(round: UInt64, words: [Word])
    /// Ask a neighbour for content by its BLAKE2b-256 hash (a share bundle, the sum or the aggregate).
    case pullRequest(hash: [UInt8])
    /// The content asked for: the original message bytes.
    case pullResponse(bytes: [UInt8])
    /// Ask a neighbour for its record of a completed round this peer missed.
    case recordRequest(round: UInt64)
    /// The answer to a `recordRequest`.
    case record(Record)

    enum Kind: UInt8 {
        case advertise = 1, roster1, shareBundle, roster2, partialSum, total, sum, reveal, pullRequest, pullResponse,
             correction, outcome, aggregate, recordRequest, record
    }

    /// The round a message belongs to. Pull messages and record requests belong to none; a record
    /// belongs to the round it reports (a peer asks for rounds before the one it is in, so the
    /// receiver takes records in only while it waits for one).
    var round: UInt64? {
        switch self {
        case .advertise(let m): return m.round
        case .roster1(let m), .roster2(let m): return m.round
        case .shareBundle(let m): return m.round
        case .partialSum(let m): return m.round
        case .total(let m): return m.round
        case .sum(let round, _): return round
        case .reveal(let m): return m.round
        case .correction(let m): return m.round
        case .outcome(let m): return m.round
        case .aggregate(let round, _): return round
        case .record(let record): return record.round
        case .pullRequest, .pullResponse, .recordRequest: return nil
        }
    }

    // MARK: - Signed bodies

    static var advertiseContext: [UInt8] { Array("secagg advertise v1".utf8) }
    static var rosterContext: [UInt8] { Array("secagg roster v1".utf8) }
    static var totalContext: [UInt8] { Array("secagg total v1".utf8) }
    static var outcomeContext: [UInt8] { Array("secagg outcome v1".utf8) }
    static var bundleContext: [UInt8] { Array("secagg bundle v1".utf8) }

    static func advertiseBody(round: UInt64, peer: String, shareKey: X25519PublicKey, maskKey: X25519PublicKey, base: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        writer.u64(round)
        writer.string(peer)
        writer.raw(shareKey.rawRepresentation)
        writer.raw(maskKey.rawRepresentation)
        writer.raw(base)
        return writer.bytes
    }

    static func rosterBody(kind: Kind, round: UInt64, coordinator: String, entries: [Advertise], bundleHashes: [[UInt8]]) -> [UInt8] {
        var writer = WireWriter()
        writer.u8(kind.rawValue)
        writer.u64(round)
        writer.string(coordinator)
        writer.u32(UInt32(entries.count))
        for (index, entry) in entries.enumerated() {
            writer.raw(advertiseBody(round: entry.round, peer: entry.peer, shareKey: entry.shareKey, maskKey: entry.maskKey, base: entry.base))
            writer.raw(entry.signature)
            if kind == .roster2 { writer.raw(bundleHashes[index]) }
        }
        return writer.bytes
    }

    static func bundleBody(round: UInt64, owner: String, coordinator: String, rosterHash: [UInt8], holders: [String],
                           sealed: [[UInt8]]) -> [UInt8] {
        var writer = WireWriter()
        writer.u64(round)
        writer.string(owner)
        writer.string(coordinator)
        writer.raw(rosterHash)
        writer.u32(UInt32(holders.count))
        for (holder, sealed) in zip(holders, sealed) {
            writer.string(holder)
            writer.data(sealed)
        }
        return writer.bytes
    }

    static func totalBody(round: UInt64, coordinator: String, contributors: [String], dropped: [String], sumHash: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        writer.u64(round)
        writer.string(coordinator)
        writer.strings(contributors)
        writer.strings(dropped)
        writer.raw(sumHash)
        return writer.bytes
    }

    static func outcomeBody(round: UInt64, coordinator: String, totalHash: [UInt8], aggregateHash: [UInt8], base: [UInt8],
                            model: [UInt8]) -> [UInt8] {
        var writer = WireWriter()
        writer.u64(round)
        writer.string(coordinator)
        writer.raw(totalHash)
        writer.raw(aggregateHash)
        writer.raw(base)
        writer.raw(model)
        return writer.bytes
    }

    // MARK: - Encoding

    var encoded: [UInt8] {
        var writer = WireWriter()
        switch self {
        case .advertise(let advertise):
            writer.u8(Kind.advertise.rawValue)
            writer.raw(Self.advertiseBody(round: advertise.round, peer: advertise.peer, shareKey: advertise.shareKey, maskKey: advertise.maskKey,
                                         base: advertise.base))
            writer.raw(advertise.signature)
        case .roster1(let roster), .roster2(let roster):
            let kind: Kind = if case .roster1 = self { .roster1 } else { .roster2 }
            writer.raw(Self.rosterBody(kind: kind, round: roster.round, coordinator: roster.coordinator, entries: roster.entries,
                                       bundleHashes: roster.bundleHashes))
            writer.raw(roster.signature)
        case .shareBundle(let bundle):
            writer.u8(Kind.shareBundle.rawValue)
            writer.raw(Self.bundleBody(round: bundle.round, owner: bundle.owner, coordinator: bundle.coordinator, rosterHash: bundle.rosterHash,
                                       holders: bundle.holders, sealed: bundle.sealed))
            writer.raw(bundle.signature)
        case .partialSum(let partial):
            writer.u8(Kind.partialSum.rawValue)
            writer.u64(partial.round)
            writer.u8(partial.separate ? 1 : 0)
            writer.strings(partial.contributors)
            writer.strings(partial.passed)
            writer.words(partial.words)
        case .total(let total):
            writer.u8(Kind.total.rawValue)
            writer.raw(Self.totalBody(round: total.round, coordinator: total.coordinator, contributors: total.contributors,
                                      dropped: total.dropped, sumHash: total.sumHash))
            writer.raw(total.signature)
        case .sum(let round, let words):
            writer.u8(Kind.sum.rawValue)
            writer.u64(round)
            writer.words(words)
        case .reveal(let reveal):
            writer.u8(Kind.reveal.rawValue)
            writer.u64(reveal.round)
            writer.string(reveal.holder)
            writer.raw(reveal.totalHash)
            writer.u32(UInt32(reveal.shares.count))
            for share in reveal.shares {
                writer.string(share.owner)
                writer.u8(share.kind.rawValue)
                writer.data(share.share)
            }
        case .correction(let correction):
            writer.u8(Kind.correction.rawValue)
            writer.u64(correction.round)
            writer.raw(correction.totalHash)
            writer.strings(correction.helpers)
            writer.words(correction.words)
        case .outcome(let outcome):
            writer.u8(Kind.outcome.rawValue)
            writer.raw(Self.outcomeBody(round: outcome.round, coordinator: outcome.coordinator, totalHash: outcome.totalHash,
                                        aggregateHash: outcome.aggregateHash, base: outcome.base, model: outcome.model))
            writer.raw(outcome.signature)
        case .aggregate(let round, let words):
            writer.u8(Kind.aggregate.rawValue)
            writer.u64(round)
            writer.words(words)
        case .pullRequest(let hash):
            writer.u8(Kind.pullRequest.rawValue)
            writer.raw(hash)
        case .pullResponse(let bytes):
            writer.u8(Kind.pullResponse.rawValue)
            writer.raw(bytes)
        case .recordRequest(let round):
            writer.u8(Kind.recordRequest.rawValue)
            writer.u64(round)
        case .record(let record):
            writer.u8(Kind.record.rawValue)
            writer.u64(record.round)
            writer.u8(record.held == nil ? 0 : 1)
            if let held = record.held {
                writer.data(RoundMessage.total(held.total).encoded)
                writer.data(RoundMessage.outcome(held.outcome).encoded)
                writer.words(held.words)
            }
        }
        return writer.bytes
    }

    // MARK: - Decoding

    /// Decodes a message, bounding every list by `peerLimit` and vectors by `wordLimit`. Every
    /// list of peers (roster entries, bundle holders, contributors, dropped peers, helpers,
    /// revealed owners) must be in strictly increasing canonical order, so that none repeats a
    /// name.
    static func decode(_ bytes: [UInt8], peerLimit: Int, wordLimit: Int) throws(WireReader.Malformed) -> RoundMessage {
        var reader = WireReader(bytes)
        guard let kind = Kind(rawValue: try reader.u8()) else { throw WireReader.Malformed(description: "unknown message kind \(bytes[0])") }
        let message: RoundMessage
        switch kind {
        case .advertise:
            message = .advertise(try readAdvertise(&reader))
        case .roster1, .roster2:
            let round = try reader.u64(), coordinator = try reader.string()
            let count = Int(try reader.u32())
            guard count <= peerLimit else { throw WireReader.Malformed(description: "a roster of \(count) peers") }
            var entries: [Advertise] = [], hashes: [[UInt8]] = []
            for _ in 0..<count {
                entries.append(try readAdvertise(&reader))
                if kind == .roster2 { hashes.append(try reader.raw(32)) }
            }
            try requireCanonical(entries.map(\.peer), "roster entries")
            let roster = Roster(round: round, coordinator: coordinator, entries: entries, bundleHashes: hashes, signature: try reader.raw(64))
            message = kind == .roster1 ? .roster1(roster) : .roster2(roster)
        case .shareBundle:
            let round = try reader.u64(), owner = try reader.string(), coordinator = try reader.string(), rosterHash = try reader.raw(32)
            let count = Int(try reader.u32())
            guard count <= peerLimit else { throw WireReader.Malformed(description: "a bundle for \(count) holders") }
            var holders: [String] = [], sealed: [[UInt8]] = []
            for _ in 0..<count {
                holders.append(try reader.string())
                sealed.append(try reader.data(limit: SealedShare.allowedByteCounts.upperBound))
            }
            try requireCanonical(holders, "bundle holders")
            message = .shareBundle(ShareBundle(round: round, owner: owner, coordinator: coordinator, rosterHash: rosterHash, holders: holders,
                                               sealed: sealed, signature: try reader.raw(64)))
        case .partialSum:
            let round = try reader.u64(), separate = try reader.u8() == 1
            let contributors = try reader.strings(limit: peerLimit)
            try requireCanonical(contributors, "partial sum contributors")
            let passed = try reader.strings(limit: peerLimit)
            message = .partialSum(PartialSum(round: round, contributors: contributors, words: try reader.words(limit: wordLimit), separate: separate,
                                             passed: passed))
        case .total:
            let round = try reader.u64(), coordinator = try reader.string()
            let contributors = try reader.strings(limit: peerLimit), dropped = try reader.strings(limit: peerLimit)
            try requireCanonical(contributors, "total contributors")
            try requireCanonical(dropped, "total dropped peers")
            message = .total(Total(round: round, coordinator: coordinator, contributors: contributors, dropped: dropped,
                                   sumHash: try reader.raw(32), signature: try reader.raw(64)))
        case .sum:
            message = .sum(round: try reader.u64(), words: try reader.words(limit: wordLimit))
        case .reveal:
            let round = try reader.u64(), holder = try reader.string(), totalHash = try reader.raw(32)
            let count = Int(try reader.u32())
            guard count <= 2 * peerLimit else { throw WireReader.Malformed(description: "a reveal of \(count) shares") }
            var shares: [RevealedShare] = []
            for _ in 0..<count {
                let owner = try reader.string()
                guard let kind = RevealedShare.Kind(rawValue: try reader.u8()) else { throw WireReader.Malformed(description: "unknown share kind") }
                shares.append(RevealedShare(owner: owner, kind: kind, share: try reader.data(limit: 64)))
            }
            try requireCanonical(shares.map(\.owner), "revealed owners")
            message = .reveal(Reveal(round: round, holder: holder, totalHash: totalHash, shares: shares))
        case .correction:
            let round = try reader.u64(), totalHash = try reader.raw(32), helpers = try reader.strings(limit: peerLimit)
            try requireCanonical(helpers, "correction helpers")
            message = .correction(Correction(round: round, totalHash: totalHash, helpers: helpers, words: try reader.words(limit: wordLimit)))
        case .outcome:
            let round = try reader.u64(), coordinator = try reader.string()
            message = .outcome(Outcome(round: round, coordinator: coordinator, totalHash: try reader.raw(32), aggregateHash: try reader.raw(32),
                                       base: try reader.raw(32), model: try reader.raw(32), signature: try reader.raw(64)))
        case .aggregate:
            message = .aggregate(round: try reader.u64(), words: try reader.words(limit: wordLimit))
        case .pullRequest:
            message = .pullRequest(hash: try reader.raw(32))
        case .pullResponse:
            return .pullResponse(bytes: Array(bytes.dropFirst()))
        case .recordRequest:
            message = .recordRequest(round: try reader.u64())
        case .record:
            let round = try reader.u64()
            guard try reader.u8() == 1 else {
                message = .record(Record(round: round, held: nil))
                break
            }
            // The Total and the Outcome are small: a Total names at most every peer twice.
            let limit = 512 + 2 * peerLimit * 260
            guard case .total(let total) = try decode(try reader.data(limit: limit), peerLimit: peerLimit, wordLimit: 0),
                  case .outcome(let outcome) = try decode(try reader.data(limit: limit), peerLimit: peerLimit, wordLimit: 0) else {
                throw WireReader.Malformed(description: "a record without its Total and Outcome")
            }
            message = .record(Record(round: round, held: .init(total: total, outcome: outcome, words: try reader.words(limit: wordLimit))))
        }
        try reader.finish()
        return message
    }

    private static func readAdvertise(_ reader: inout WireReader) throws(WireReader.Malformed) -> Advertise {
        let round = try reader.u64(), peer = try reader.string()
        let shareKey = X25519PublicKey(checkedBytes: try reader.raw(X25519PublicKey.byteCount))
        let maskKey = X25519PublicKey(checkedBytes: try reader.raw(X25519PublicKey.byteCount))
        return Advertise(round: round, peer: peer, shareKey: shareKey, maskKey: maskKey, base: try reader.raw(32), signature: try reader.raw(64))
    }

    /// Refuses a list of peers that is not strictly increasing in canonical order (a repeated
    /// name, or names out of order).
    /// Names that differ in bytes but are canonically equivalent (Swift compares strings that
    /// way) count as the same name.
    private static func requireCanonical(_ names: [String], _ what: String) throws(WireReader.Malformed) {
        for (first, second) in zip(names, names.dropFirst()) where !KeyAgreement.precedes(first, second) || first == second {
            throw WireReader.Malformed(description: first == second ? "\(what) name '\(first)' twice" : "\(what) out of canonical order ('\(first)' before '\(second)')")
        }
        guard Set(names).count == names.count else { throw WireReader.Malformed(description: "\(what) name a peer twice") }
    }
}
