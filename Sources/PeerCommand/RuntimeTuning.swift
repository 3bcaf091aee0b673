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
///   unchanged. The price: freed heap stays with the process.
/// - `MALLOC_ARENA_MAX=1`, for `peer run` only: with the heap kept, each of glibc's per-thread
///   arenas (up to 8 per core: compute, BLAS and cooperative threads all allocate) would keep
///   its own high-water mark of freed memory. With one arena, a ResNet-18 peer at 128 px
///   (`make bench-node`, 10 rounds) peaked at 1.04-1.07 GiB instead of 1.8 GiB, and its rounds
///   took 3.3-3.7 s instead of 4.1 s. Eight peers in one
///   process (`peer bench aggregation`) run their secure round 10% slower in one arena (3.17 s
///   against 2.88 s), so the other commands keep glibc's arenas.
enum RuntimeTuning {
    /// Each variable and the value `peer` runs with.
    static let settings = [
        ("OPENBLAS_THREAD_TIMEOUT", "4"),
        ("MALLOC_MMAP_MAX_", "0"),
        ("MALLOC_TRIM_THRESHOLD_", "2147483647"),
    ]

    /// What `peer run`, the long-running node, runs with besides.
    static let nodeSettings = [("MALLOC_ARENA_MAX", "1")]

    /// The settings of the command `arguments` (without the program name) select.
    static func settings(for arguments: [String]) -> [(String, String)] {
        arguments.first == "run" ? settings + nodeSettings : settings
    }

    /// The variables to set before executing again: those of `wanted` that `environment` lacks.
    static func missing(from environment: [String: String], wanted: [(String, String)] = settings) -> [(String, String)] {
        wanted.filter { environment[$0.0] == nil }
    }

    /// Executes this program again with the missing settings. Returns only when none is missing
    /// or the execution fails (then the defaults stay).
    static func applyByExecutingAgain() {
        let wanted = settings(for: Array(CommandLine.arguments.dropFirst()))
        let current = Dictionary(uniqueKeysWithValues: wanted.compactMap { name, _ in value(of: name).map { (name, $0) } })
        let toSet = missing(from: current, wanted: wanted)
        guard !toSet.isEmpty else { return }
        for (name, value) in toSet { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// The value of `name` in this process's environment.
    static func value(of name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
