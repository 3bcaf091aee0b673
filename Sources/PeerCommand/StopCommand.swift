internal import Foundation
import Peer

/// `peer stop`: stops the `peer run` that holds a state directory.
enum StopCommand {
    static let command = Command(
        name: "stop",
        summary: "Stop the peer run holding a state directory (SIGTERM) and wait for it to exit.",
        usage: "peer stop --state DIR [--timeout SECONDS]",
        details: """
        Sends SIGTERM to the process that holds DIR's lock (its pid is in DIR/peer.lock), which
        leaves any round in progress without revealing anything more, and waits until the lock
        is released. 'peer launch' stops remote peers this way.

        OPTIONS:
          --state DIR             The peer's state directory.
          --timeout SECONDS       How long to wait (default 60); then SIGKILL.
          -h, --help              Show help information.

        Exit status 0 when the peer stopped or was not running, 1 when it had to be killed.
        """,
        run: run
    )

    static func run(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let state = try arguments.required("--state", placeholder: "DIR")
        let timeout = try arguments.number("--timeout", default: 60, in: 0...86_400)
        try arguments.finish()
        guard StateLock.isHeld(state), let text = StateLock.holder(of: state), let pid = Int32(text) else {
            console.diagnostic("\(state): no peer run holds it\n")
            return ExitStatus.success
        }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while StateLock.isHeld(state), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        guard StateLock.isHeld(state) else {
            console.diagnostic("\(state): peer run \(pid) stopped\n")
            return ExitStatus.success
        }
        kill(pid, SIGKILL)
        console.diagnostic("\(state): peer run \(pid) did not stop within \(Int(timeout)) s; killed\n")
        return ExitStatus.failure
    }
}
