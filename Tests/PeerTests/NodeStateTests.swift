import Crypto
import Foundation
import Learn
import Testing
@testable import Peer

/// A peer's state directory and journal: nothing half-written is ever taken for state.
@Suite struct NodeStateTests {
    let directory = NSTemporaryDirectory() + "peer-node-state-\(UUID().uuidString)"

    private func entry(_ round: Int, _ kind: JournalEntry.Kind = .completed) -> JournalEntry {
        JournalEntry(round: round, kind: kind, modelHash: String(repeating: "a", count: 64), baseHash: String(repeating: "b", count: 64),
                     checkpoint: StateDirectory.modelFile(round: round), time: "2026-12-01T00:00:00Z")
    }

    @Test func aTornJournalLineIsDroppedAndTruncated() throws {
        let state = try StateDirectory(path: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try state.journal.append(entry(0, .start))
        try state.journal.append(entry(1))
        let path = directory + "/journal.jsonl"
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"round\":2,\"ki".utf8))
        try handle.close()
        #expect(try state.journal.entries().map(\.round) == [0, 1])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == whole, "the torn line is cut away")
        try state.journal.append(entry(2))
        #expect(try state.journal.entries().map(\.round) == [0, 1, 2])
    }

    @Test func aCompleteLineThatIsNotAnEntryIsAnError() throws {
        let state = try StateDirectory(path: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("{\"round\": \"one\"}\n".utf8).write(to: URL(fileURLWithPath: directory + "/journal.jsonl"))
        #expect(throws: NodeError.self) { try state.journal.entries() }
    }

    @Test func temporaryFilesAreRemovedAndTwoCheckpointsKept() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let temporary = directory + "/.model-000003.safetensors.tmp-4242"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: temporary))
        let state = try StateDirectory(path: directory)
        #expect(FileManager.default.fileExists(atPath: temporary), "only the lock's holder removes them")
        let lock = try StateLock(directory: directory)
        state.removeTemporaryFiles()
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(StateLock.isHeld(directory) && StateLock.holder(of: directory) == "\(getpid())")
        #expect(throws: NodeError.busy(path: directory, pid: "\(getpid())")) { try StateLock(directory: directory) }
        _ = lock
        for round in 0..<4 { _ = try state.writeCheckpoint(round: round, model: [UInt8(round)], optimizer: nil) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0 != StateLock.fileName }.sorted()
        #expect(names == [StateDirectory.modelFile(round: 2), StateDirectory.modelFile(round: 3)])
        #expect(state.read(StateDirectory.modelFile(round: 3)) == [3])
    }

    @Test func aFileIsNotAStateDirectory() throws {
        _ = FileManager.default.createFile(atPath: directory, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: NodeError.state(path: directory, problem: "is a file, not a directory", fix: "pass a directory as --state")) {
            try StateDirectory(path: directory)
        }
    }

    /// The node resumes from the newest entry whose checkpoint is intact, and refuses a state
    /// directory that started from another M(0).
    @Test func theResumePointIsTheNewestIntactCheckpoint() throws {
        let state = try StateDirectory(path: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var generator = SeededGenerator(seed: 3)
        let start = ModelState(SmallCNN(inputChannels: 1, classCount: 1, using: &generator))
        let next = start.adding([Float](repeating: 0.5, count: start.vectorCount))
        var entries: [JournalEntry] = []
        for (round, model) in [(0, start), (1, next)] {
            var entry = entry(round, round == 0 ? .start : .completed)
            entry.modelHash = Blake2b.hash(model.safetensors).hexString
            entry.checkpoint = try state.writeCheckpoint(round: round, model: model.safetensors, optimizer: nil)
            entries.append(entry)
        }
        let (model, kept) = try PeerNode.resumePoint(entries, state: state, start: start, initialModel: nil)
        #expect(kept.map(\.round) == [0, 1] && model.safetensors == next.safetensors)
        // A checkpoint whose bytes no longer have the journal's hash is passed over.
        try Data([0]).write(to: URL(fileURLWithPath: directory + "/" + entries[1].checkpoint))
        let (older, fewer) = try PeerNode.resumePoint(entries, state: state, start: start, initialModel: nil)
        #expect(fewer.map(\.round) == [0] && older.safetensors == start.safetensors)
        #expect(throws: NodeError.self) { try PeerNode.resumePoint(entries, state: state, start: next, initialModel: "other.safetensors") }
    }

    @Test func syncMessagesRoundTripAndBoundTheirModel() throws {
        let head = SyncMessage.Head(committed: 7, running: 8, activity: .committing, progress: 3, start: [UInt8](repeating: 5, count: 32), outcome: [1, 2, 3])
        let messages: [SyncMessage] = [.headRequest(id: 1), .head(id: 2, head), .checkpointRequest(id: 3, round: 7),
                                       .checkpoint(id: 4, round: 7, outcome: [4], model: [UInt8](repeating: 9, count: 100))]
        for message in messages { #expect(try SyncMessage.decode(message.encoded, modelByteLimit: 100) == message) }
        #expect(throws: WireReader.Malformed.self) { try SyncMessage.decode(messages[3].encoded, modelByteLimit: 99) }
        #expect(throws: WireReader.Malformed.self) { try SyncMessage.decode([9], modelByteLimit: 100) }
        #expect(throws: WireReader.Malformed.self) { try SyncMessage.decode(messages[1].encoded + [0], modelByteLimit: 100) }
        var badActivity = messages[1].encoded
        badActivity[25] = 9
        #expect(throws: WireReader.Malformed.self) { try SyncMessage.decode(badActivity, modelByteLimit: 100) }
        let hugeOutcome = SyncMessage.head(id: 5, .init(committed: 1, running: 0, activity: .idle, progress: 0, start: head.start,
                                                         outcome: [UInt8](repeating: 0, count: SyncMessage.outcomeByteLimit + 1)))
        #expect(throws: WireReader.Malformed.self) { try SyncMessage.decode(hugeOutcome.encoded, modelByteLimit: 100) }
    }
}
