internal import Foundation
internal import Glibc

/// A process a launch starts (a peer, a preflight, an ssh client), spawned with `posix_spawn`
/// and reaped by polling `waitpid` for it alone.
///
/// Foundation's `Process` cannot serve here: it learns that a child ended when a socket the
/// child inherited closes, then waits for that child on its one reaper thread. ssh closes
/// every inherited descriptor as it starts, so the reaper thread sits in `waitpid` until that
/// ssh ends, and no other child is seen to end meanwhile (a remote `peer stop` through ssh
/// never returned while another ssh client was running).
final class ChildProcess: @unchecked Sendable {
    /// What to run: an executable and its arguments.
    struct Invocation {
        let executable: String
        let arguments: [String]

        /// The command line, quoted for a POSIX shell.
        var commandLine: String { ([executable] + arguments).map(LaunchPlan.quoted).joined(separator: " ") }
    }

    let invocation: Invocation
    let pid: pid_t
    private let lock = NSLock()
    private var ended: Int32?

    /// Starts `invocation` with this process's environment, standard input from /dev/null and
    /// standard output to `output` and standard error to `error` (descriptors that stay the
    /// caller's; they may be the same), in a
    /// process group of its own (a Ctrl-C at the terminal reaches the launch alone, which
    /// stops its children itself). No other descriptor is inherited; the signal mask is
    /// empty and SIGINT, SIGTERM and SIGPIPE have their default actions.
    /// - Throws: `CommandFailure` naming the executable when it cannot be started.
    init(_ invocation: Invocation, output: Int32, error: Int32) throws {
        self.invocation = invocation
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, error, STDERR_FILENO)
        for descriptor in Self.openDescriptors() where descriptor > STDERR_FILENO {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([invocation.executable] + invocation.arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = argv.withUnsafeBufferPointer { buffer in
            posix_spawn(&pid, invocation.executable, &actions, &attributes, UnsafeMutablePointer(mutating: buffer.baseAddress!), environ)
        }
        guard result == 0 else {
            throw CommandFailure("cannot start \(invocation.executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// The exit status once the process has ended (128 + the signal that ended it), nil while
    /// it runs.
    var exitStatus: Int32? {
        lock.withLock {
            if ended == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    let signal = status & 0x7f
                    ended = signal == 0 ? (status >> 8) & 0xff : 128 + signal
                }
            }
            return ended
        }
    }

    var isRunning: Bool { exitStatus == nil }

    /// Sends `number` to the process while it has not been reaped.
    func signal(_ number: Int32) {
        lock.withLock { if ended == nil { _ = kill(pid, number) } }
    }

    /// Waits until the process ends or `timeout` passes. Returns the exit status, nil on timeout.
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = exitStatus { return status }
            guard Date() < deadline else { return nil }
            usleep(20_000)
        }
    }

    /// The descriptors open in this process now.
    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }
}
