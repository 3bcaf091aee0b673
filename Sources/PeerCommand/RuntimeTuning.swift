internal import Glibc

/// Settings that OpenBLAS and glibc read only when the process starts, so `peer` sets them
/// and executes itself again, once, before doing anything else (a value the user set is kept).
///
/// - `OPENBLAS_THREAD_TIMEOUT=4`: OpenBLAS's worker threads otherwise keep polling (with
///   sched_yield) for 2^28 cycles, about 0.1 s, after every sgemm, sharing the two cores with
///   the im2col, batch norm and other passes that `peer` runs between sgemms. ResNet-18
///   training at 128 px ran at 25 images/s that way and at 32 with the workers sleeping at once.
/// - `MALLOC_MMAP_MAX_=0`, `MALLOC_TRIM_THRESHOLD_=2147483647`: glibc otherwise maps every
///   allocation above 32 MiB afresh and unmaps it on free, so each model-sized vector of an
///   aggregation round (45 MB for ResNet-18) page-faults its memory in again. On the heap, with
///   freed memory kept for the next one, a secure round of 8 peers on loopback took 3.4 s
///   instead of 4.1 s and the plain tree sum 1.25 s instead of 1.6 s; training speed is
///   unchanged. The price: up to 2 GiB of freed heap stays with the process.
enum RuntimeTuning {
    /// Each variable and the value `peer` runs with.
    static let settings = [
        ("OPENBLAS_THREAD_TIMEOUT", "4"),
        ("MALLOC_MMAP_MAX_", "0"),
        ("MALLOC_TRIM_THRESHOLD_", "2147483647"),
    ]

    /// The variables to set before executing again: those `environment` lacks.
    static func missing(from environment: [String: String]) -> [(String, String)] {
        settings.filter { environment[$0.0] == nil }
    }

    /// Executes this program again with the missing settings. Returns only when none is missing
    /// or the execution fails (then the defaults stay).
    static func applyByExecutingAgain() {
        let current = Dictionary(uniqueKeysWithValues: settings.compactMap { name, _ in value(of: name).map { (name, $0) } })
        let toSet = missing(from: current)
        guard !toSet.isEmpty else { return }
        for (name, value) in toSet { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// The value of `name` in this process's environment.
    static func value(of name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
