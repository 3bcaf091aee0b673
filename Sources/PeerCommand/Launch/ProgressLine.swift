internal import Foundation
internal import Glibc

/// One live line of progress on a terminal's standard error, redrawn in place; elsewhere a
/// plain line when the text changes, at most every 10 seconds.
final class ProgressLine {
    private let console: Console
    private let onTerminal = isatty(STDERR_FILENO) == 1
    private var shown = ""
    private var lastPrinted = ContinuousClock.now - .seconds(3600)

    init(console: Console) {
        self.console = console
    }

    func show(_ text: String) {
        guard text != shown else { return }
        if onTerminal {
            console.diagnostic("\r\u{1b}[K" + text)
        } else {
            guard ContinuousClock.now - lastPrinted >= .seconds(10) else { return }
            console.diagnostic(text + "\n")
            lastPrinted = .now
        }
        shown = text
    }

    /// Ends the live line.
    func finish() {
        if onTerminal, !shown.isEmpty { console.diagnostic("\n") }
    }
}
