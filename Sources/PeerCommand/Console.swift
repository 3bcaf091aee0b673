internal import Foundation

/// Where a command writes: results to standard output, diagnostics and progress to standard error.
struct Console: Sendable {
    /// Writes `text` to standard output.
    func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes `text` to standard error.
    func diagnostic(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes `object` as pretty, key-sorted JSON on one document to standard output.
    func json(_ object: Any) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        output(String(decoding: data, as: UTF8.self) + "\n")
    }
}
