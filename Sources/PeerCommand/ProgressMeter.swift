internal import Foundation
import Learn

/// Shows the progress of long work on standard error: a line rewritten in place on a terminal
/// (at most five times a second), else one line per tenth of the work.
final class ProgressMeter: Sendable {
    private struct State {
        var lastDraw: Double = 0
        var lastTenth = 0
        var drawn = false
    }

    private let total: Int
    private let unit: String
    private let console: Console
    private let start = Date()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let state = Locked(State())

    /// A meter of `total` items called `unit`.
    init(total: Int, unit: String, console: Console) {
        self.total = total
        self.unit = unit
        self.console = console
    }

    /// Records that `done` items are finished (callable from any thread), with an optional `detail`.
    func report(_ done: Int, detail: String = "") {
        let elapsed = Date().timeIntervalSince(start)
        let line: String? = state.update { state in
            if isTerminal {
                guard done == total || elapsed - state.lastDraw >= 0.2 else { return nil }
                state.lastDraw = elapsed
            } else {
                let tenth = done * 10 / max(1, total)
                guard tenth > state.lastTenth else { return nil }
                state.lastTenth = tenth
            }
            state.drawn = true
            let rate = Double(done) / max(elapsed, 1e-9)
            let remaining = rate > 0 ? Double(total - done) / rate : 0
            return String(format: "  %d/%d %@  %.1f/s  ETA %.0f s", done, total, unit, rate, remaining) + (detail.isEmpty ? "" : "  " + detail)
        }
        guard let line else { return }
        console.diagnostic(isTerminal ? "\r" + line + "\u{1B}[K" : line + "\n")
    }

    /// Ends the meter's line on a terminal.
    func finish() {
        if isTerminal, state.value.drawn { console.diagnostic("\n") }
    }
}
