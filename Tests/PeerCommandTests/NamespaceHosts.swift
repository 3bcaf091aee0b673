import Foundation

/// Hosts as network namespaces on one bridge, for launch tests that need several hosts: each
/// namespace is named after its address (10.77.0.N), so that `ip netns exec {host}` reaches it,
/// and the bridge has 10.77.0.254, so that this host reaches every status port.
final class NamespaceHosts {
    static let bridge = "peerbr0"
    let addresses: [String]

    /// Whether hosts can be made here (root, iproute2, namespaces, veth pairs and bridges):
    /// one of each is made and removed.
    static let available: Bool = {
        guard getuid() == 0, run(["netns", "add", "peer-probe"]) else { return false }
        defer { run(["netns", "delete", "peer-probe"]) }
        guard run(["link", "add", "pvprobe", "type", "veth", "peer", "name", "pvprobe1", "netns", "peer-probe"]) else { return false }
        defer { run(["link", "delete", "pvprobe"]) }
        guard run(["link", "add", "pvbrprobe", "type", "bridge"]) else { return false }
        return run(["link", "delete", "pvbrprobe"])
    }()

    /// `count` namespaces 10.77.0.1 ... on the bridge.
    init(count: Int) throws {
        addresses = (1...count).map { "10.77.0.\($0)" }
        Self.tearDown(count: count)
        var steps: [[String]] = [["link", "add", Self.bridge, "type", "bridge"], ["addr", "add", "10.77.0.254/24", "dev", Self.bridge],
                                 ["link", "set", Self.bridge, "up"]]
        for (index, address) in addresses.enumerated() {
            let host = "pvh\(index + 1)", inside = "pvn\(index + 1)"
            steps += [["netns", "add", address], ["link", "add", host, "type", "veth", "peer", "name", inside],
                      ["link", "set", inside, "netns", address], ["link", "set", host, "master", Self.bridge], ["link", "set", host, "up"],
                      ["-n", address, "addr", "add", address + "/24", "dev", inside], ["-n", address, "link", "set", inside, "up"],
                      ["-n", address, "link", "set", "lo", "up"]]
        }
        for step in steps where !Self.run(step) {
            throw NamespaceFailure(description: "ip \(step.joined(separator: " ")) failed")
        }
    }

    deinit {
        Self.tearDown(count: addresses.count)
    }

    /// The blackhole routes in host `host`'s namespace, one line each.
    func blackholes(in host: String) -> [String] {
        let output = NSTemporaryDirectory() + "peer-routes-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: output) else { return ["cannot read the routes of \(host)"] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["-n", host, "route", "show", "type", "blackhole"]
        process.standardOutput = handle
        guard (try? process.run()) != nil else { return ["cannot run ip"] }
        process.waitUntilExit()
        try? handle.close()
        return ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Removes the namespaces, their links (a namespace outlives its name while a cut
    /// connection's socket still times out in it, and keeps its link with it) and the bridge.
    private static func tearDown(count: Int) {
        for index in 1...count {
            _ = run(["link", "delete", "pvh\(index)"])
            _ = run(["netns", "delete", "10.77.0.\(index)"])
        }
        _ = run(["link", "delete", bridge])
    }

    @discardableResult
    static func run(_ arguments: [String]) -> Bool {
        runQuietly("/usr/sbin/ip", arguments)
    }

    struct NamespaceFailure: Error, CustomStringConvertible {
        let description: String
    }
}
