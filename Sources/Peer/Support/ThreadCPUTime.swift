internal import Glibc

/// CPU time consumed by the calling thread: what a peer's own work costs, whatever else
/// shares the cores (the benchmark runs eight peers on two).
enum ThreadCPUTime {
    /// Seconds of CPU this thread has used since it started.
    static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
