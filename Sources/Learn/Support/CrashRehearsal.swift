internal import Glibc
import Synchronization

/// Fault rehearsal of the state a process writes: armed with a number of bytes, the process
/// kills itself (SIGKILL) once its state writes have gone that far, a rename counting as one
/// byte, so that a test can crash it at any offset of a checkpoint and journal write and see
/// what it finds when it starts again. Disarmed, every write goes through whole.
public enum CrashRehearsal {
    /// Bytes still allowed; negative when disarmed.
    private static let budget = Atomic<Int>(-1)

    /// Kills the process once `bytes` more bytes (renames counting one) have been written.
    public static func arm(bytes: Int) { budget.store(max(0, bytes), ordering: .sequentiallyConsistent) }

    /// Lets every write through again.
    public static func disarm() { budget.store(-1, ordering: .sequentiallyConsistent) }

    /// Writes all of `bytes` to `descriptor`, across short writes and interruptions; when armed
    /// and the budget ends inside them, writes what it allows, syncs, and kills the process.
    /// - Returns: whether everything was written.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let allowed = allow(bytes.count)
        var offset = 0
        while offset < allowed {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, allowed - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        if allowed < bytes.count {
            fsync(descriptor)
            crash()
        }
        return true
    }

    /// Before a rename: kills the process when the budget is spent.
    static func beforeRename() {
        if allow(1) < 1 { crash() }
    }

    /// How many of `count` bytes may be written, taken from the budget.
    private static func allow(_ count: Int) -> Int {
        while true {
            let left = budget.load(ordering: .sequentiallyConsistent)
            guard left >= 0 else { return count }
            let taken = min(left, count)
            if budget.compareExchange(expected: left, desired: left - taken, ordering: .sequentiallyConsistent).exchanged { return taken }
        }
    }

    private static func crash() -> Never {
        kill(getpid(), SIGKILL)
        while true { pause() }
    }
}
