import Crypto
import Foundation
@testable import Peer
import Testing

/// A peer killed part way through writing a round's state, at every kind of offset a crash can
/// leave (inside the optimiser state, before its rename, inside the checkpoint, before its
/// rename, before the journal line, inside it), resumes from its last good checkpoint: the
/// journal never names a file that is not whole, and run again it ends the round on the model
/// its neighbour holds.
@Suite(.serialized) struct CheckpointCrashTests {
    @Test func aPeerKilledWhileWritingItsStateResumesFromTheLastGoodCheckpoint() async throws {
        let federation = try LocalFederation(count: 2, rounds: 2, threshold: 2)
        let victim = "peer-1", other = "peer-2"
        try federation.startAll(["--rounds", "1"])
        for id in federation.ids { #expect(try await federation.waitForExit(id) == 0, "\(federation.log(id).suffix(800))") }
        let manager = FileManager.default
        let saved = federation.directory + "/after-round-1"
        try manager.copyItem(atPath: federation.directory + "/state", toPath: saved)
        let files = try manager.contentsOfDirectory(atPath: federation.statePath(victim))
        func size(_ prefix: String) throws -> Int {
            let name = try #require(files.first { $0.hasPrefix(prefix + "-000001") })
            return try #require(try manager.attributesOfItem(atPath: federation.statePath(victim) + "/" + name)[.size] as? Int)
        }
        let optimizer = try size("optimizer"), model = try size("model")
        let line = try String(contentsOfFile: federation.statePath(victim) + "/journal.jsonl", encoding: .utf8)
            .split(separator: "\n").last.map { $0.utf8.count + 1 } ?? 0
        // Renames count one byte each: optimizer bytes, its rename, model bytes, its rename, the line.
        let offsets = [0, optimizer / 2, optimizer, optimizer + 1, optimizer + 1 + model / 2, optimizer + 1 + model,
                       optimizer + model + 2, optimizer + model + 2 + line / 2]
        for offset in offsets {
            try manager.removeItem(atPath: federation.directory + "/state")
            try manager.copyItem(atPath: saved, toPath: federation.directory + "/state")
            try federation.start(other, ["--rounds", "2", "--linger"])
            try federation.start(victim, ["--rounds", "2", "--kill-at", "2:checkpoint:\(offset)"])
            #expect(try await federation.waitForExit(victim) == 128 + SIGKILL, "offset \(offset): \(federation.log(victim).suffix(800))")
            // What the crash left, read without the truncation a starting peer does.
            let raw = try Data(contentsOf: URL(fileURLWithPath: federation.statePath(victim) + "/journal.jsonl"))
            let complete = raw.prefix(through: raw.lastIndex(of: 0x0a) ?? raw.startIndex)
            let rounds = try complete.split(separator: 0x0a).map { try JSONDecoder().decode(JournalEntry.self, from: Data($0)).round }
            #expect(rounds == [0, 1], "offset \(offset): the journal holds \(rounds)")
            #expect((raw.count > complete.count) == (offset == offsets.last), "offset \(offset): a torn line only when killed inside it")

            try federation.start(victim, ["--rounds", "2"])
            #expect(try await federation.waitForExit(victim) == 0, "offset \(offset): \(federation.log(victim).suffix(800))")
            federation.signal(other, SIGTERM)
            #expect(try await federation.waitForExit(other) == 0)
            let resumed = try federation.journal(victim), theirs = try federation.journal(other)
            #expect(resumed.map(\.round) == [0, 1, 2], "offset \(offset)")
            #expect(resumed.last?.modelHash == theirs.last?.modelHash && resumed.last?.baseHash == resumed[1].modelHash, "offset \(offset)")
            for entry in resumed.suffix(2) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: federation.statePath(victim) + "/" + entry.checkpoint))
                #expect(Blake2b.hash([UInt8](bytes)).hexString == entry.modelHash, "offset \(offset): round \(entry.round)")
            }
            let left = try manager.contentsOfDirectory(atPath: federation.statePath(victim)).filter(StateDirectory.isTemporary)
            #expect(left.isEmpty, "offset \(offset): \(left)")
        }

        // Past the round's writes the budget is never reached: the round ends as usual.
        try manager.removeItem(atPath: federation.directory + "/state")
        try manager.copyItem(atPath: saved, toPath: federation.directory + "/state")
        try federation.start(other, ["--rounds", "2"])
        try federation.start(victim, ["--rounds", "2", "--kill-at", "2:checkpoint:\(optimizer + model + 2 + 4 * line)"])
        #expect(try await federation.waitForExit(victim) == 0, "\(federation.log(victim).suffix(800))")
        #expect(try await federation.waitForExit(other) == 0)
        #expect(try federation.journal(victim).last?.kind == .completed)
    }
}
