import Gossip
import Synchronization
internal import Foundation
import Learn
import Crypto

extension PeerNode {
    /// M(0): the `--init` file, loaded strictly into the topology's model, or the model the
    /// topology's seed makes.
    static func startingModel(_ configuration: Configuration, model: any Layer) throws(NodeError) -> ModelState {
        guard let path = configuration.initialModel else { return ModelState(model) }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw .input(what: "--init \(path)", problem: "cannot be read", fix: "give a safetensors checkpoint of \(configuration.topology.training.model)")
        }
        do {
            let state = try ModelState(safetensors: [UInt8](bytes))
            try state.load(into: model)
            return ModelState(model)
        } catch {
            throw .input(what: "--init \(path)", problem: "\(error)", fix: "give a checkpoint of the topology's model, \(configuration.topology.training.model)")
        }
    }

    /// Where a node resumes: the newest journal entry whose checkpoint is present with the hash
    /// the entry names, and the entries up to it (none for a fresh state directory).
    /// - Throws: `NodeError.input` when the directory started from another M(0) than `start`.
    static func resumePoint(_ entries: [JournalEntry], state: StateDirectory, start: ModelState,
                            initialModel: String?) throws(NodeError) -> (ModelState, [JournalEntry]) {
        guard let first = entries.first else { return (start, []) }
        let startHash = Blake2b.hash(start.safetensors).hexString
        guard first.kind == .start, first.modelHash == startHash else {
            throw .input(what: initialModel.map { "--init \($0)" } ?? "the topology's seed",
                         problem: "gives M(0) hash \(startHash), but \(state.path) started from \(first.modelHash)",
                         fix: "start with what this state directory started with, or give a fresh --state")
        }
        for index in entries.indices.reversed() {
            let entry = entries[index]
            guard let bytes = state.read(entry.checkpoint), Blake2b.hash(bytes).hexString == entry.modelHash,
                  let model = try? ModelState(safetensors: bytes) else { continue }
            return (model, Array(entries[...index]))
        }
        throw .state(path: state.path, problem: "no checkpoint named by the journal is intact", fix: "give a fresh --state")
    }
}
