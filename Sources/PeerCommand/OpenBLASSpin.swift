internal import Glibc

/// OpenBLAS's worker threads keep polling (with sched_yield) for 2^28 cycles, about 0.1 s, after
/// every sgemm. Between two sgemms `peer` runs im2col, batch norm and the other element-wise
/// passes on its own threads, which then share the two cores with a polling worker: ResNet-18
/// training at 128 px ran at 25 images/s that way and at 32 with the workers sleeping at once.
/// OpenBLAS reads the limit (`OPENBLAS_THREAD_TIMEOUT`, log2 of cycles, 4...30) only when it is
/// loaded, so `peer` sets it and executes itself again, once, before doing anything else.
enum OpenBLASSpin {
    static let variable = "OPENBLAS_THREAD_TIMEOUT"
    /// 2^4 cycles: a worker sleeps right after its sgemm and is woken by the next one.
    static let shortTimeout = "4"

    /// The value to set and execute again with, or nil when `environment` already has one
    /// (chosen by the user, or set before the first execution).
    static func timeoutToSet(environment: [String: String]) -> String? {
        environment[variable] == nil ? shortTimeout : nil
    }

    /// Executes this program again with the short timeout unless the variable is set. Returns
    /// only when nothing needs doing or the execution fails (then OpenBLAS keeps its default).
    static func applyByExecutingAgain() {
        guard let value = timeoutToSet(environment: currentEnvironment) else { return }
        setenv(variable, value, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// The timeout OpenBLAS runs with in this process, as the variable's text, or nil for its default.
    static var current: String? { getenv(variable).map { String(cString: $0) } }

    private static var currentEnvironment: [String: String] {
        current.map { [variable: $0] } ?? [:]
    }
}
