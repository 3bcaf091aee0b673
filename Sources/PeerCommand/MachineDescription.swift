internal import Foundation

/// A one-line description of this machine for benchmark reports.
enum MachineDescription {
    static var current: String {
        let info = ProcessInfo.processInfo
        let memory = String(format: "%.0f GiB", Double(info.physicalMemory) / Double(1 << 30))
        return "\(cpuModel), \(info.activeProcessorCount) cores, \(memory), \(info.operatingSystemVersionString)"
    }

    /// The "model name" line of /proc/cpuinfo, or "unknown CPU".
    static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown CPU" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
