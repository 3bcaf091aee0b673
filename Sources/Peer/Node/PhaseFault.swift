internal import Glibc
import Learn

/// A fault a peer does to itself as it enters a step of a round, for fault rehearsal: a crash
/// (SIGKILL) or a freeze (SIGSTOP, then SIGCONT after some seconds), exactly there, or a crash
/// part way through the checkpoint's writes.
public struct PhaseFault: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case kill
        case freeze(seconds: Double)
        /// SIGKILL once this many bytes of the round's checkpoint and journal writes are
        /// written, a rename counting as one (`CrashRehearsal`).
        case killWhileWriting(bytes: Int)
    }

    public let action: Action
    public let round: Int
    /// One of `PeerNode.phases`.
    public let phase: String

    public init(_ action: Action, round: Int, phase: String) {
        self.action = action
        self.round = round
        self.phase = phase
    }

    /// Does the fault to this process.
    func strike() {
        switch action {
        case .kill:
            kill(getpid(), SIGKILL)
        case .freeze(let seconds):
            Self.freeze(seconds: seconds)
        case .killWhileWriting(let bytes):
            CrashRehearsal.arm(bytes: bytes)
        }
    }

    /// Stops this process for `seconds`, as a host that freezes would: a forked child sleeps,
    /// sends SIGCONT and exits (it calls only async-signal-safe functions), then this process
    /// stops itself and, continued, reaps the child. The child's SIGCONT must come after the
    /// stop: `peer run --freeze-at` takes 0.1 s at least, far longer than the stop takes.
    private static func freeze(seconds: Double) {
        let waker = fork()
        if waker == 0 {
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9)), left = timespec()
            while nanosleep(&request, &left) != 0 { request = left }
            kill(getppid(), SIGCONT)
            _exit(0)
        }
        guard waker > 0 else { return }
        kill(getpid(), SIGSTOP)
        var status: Int32 = 0
        while waitpid(waker, &status, 0) == -1 && errno == EINTR {}
    }
}
