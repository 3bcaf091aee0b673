internal import Foundation
internal import Glibc

/// The resident memory of this process, from /proc/self/statm (Linux): what a long run must
/// keep flat.
public enum ResidentMemory {
    /// Bytes of this process resident in memory now, or nil where /proc is not readable.
    public static func bytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

extension ResidentMemory {
    /// The most bytes this process has had resident (VmHWM of /proc/self/status), or nil.
    public static func peakBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }
}
