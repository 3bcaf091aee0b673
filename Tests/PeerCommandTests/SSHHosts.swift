import Foundation

/// An ssh server in each namespace of `NamespaceHosts`, for a launch through real ssh: a host
/// key and a client key made for the test, root logins with that key only, and the directory of
/// the `peer` under test on the PATH of remote commands (as on a host where `peer` is installed).
final class SSHHosts {
    /// Whether sshd, ssh and ssh-keygen are here; openssh-server and openssh-client are
    /// installed (tools/install-deps.sh, apt-get) when missing.
    static let available: Bool = {
        let tools = ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"]
        if tools.allSatisfy(FileManager.default.isExecutableFile) { return true }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/install-deps.sh").path
        guard runQuietly("/bin/bash", [script, "openssh-server", "openssh-client"]) else {
            print("SSHHosts: installing openssh-server and openssh-client failed; the ssh launch test is skipped")
            return false
        }
        return tools.allSatisfy(FileManager.default.isExecutableFile)
    }()

    let directory: String
    private let hosts: [String]

    /// Starts sshd in every namespace of `namespaces`, with `path` first on the PATH of the
    /// commands it runs, and waits until each accepts connections.
    init(on namespaces: NamespaceHosts, path: String) throws {
        hosts = namespaces.addresses
        directory = NSTemporaryDirectory() + "peer-ssh-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for key in ["host", "client"] where !runQuietly("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory + "/" + key]) {
            throw Failure(description: "ssh-keygen could not make the \(key) key")
        }
        let configuration = """
            HostKey \(directory)/host
            AuthorizedKeysFile \(directory)/client.pub
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            SetEnv PATH=\(path):/usr/local/bin:/usr/bin:/bin
            """
        try configuration.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
        for host in hosts where !runQuietly("/usr/sbin/ip", ["netns", "exec", host, "/usr/sbin/sshd", "-f", directory + "/sshd_config",
                                                           "-o", "PidFile=\(pidFile(host))"]) {
            throw Failure(description: "sshd did not start in namespace \(host)")
        }
        for host in hosts { try awaitListening(host) }
    }

    deinit {
        for host in hosts {
            if let text = try? String(contentsOfFile: pidFile(host), encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGTERM)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `peer launch`'s remote template for these hosts: the test's key, host keys learned on
    /// first contact into a file of the test's own, never a prompt.
    var template: String {
        "ssh -i \(directory)/client -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=\(directory)/known_hosts -o BatchMode=yes root@{host}"
    }

    private func pidFile(_ host: String) -> String { directory + "/sshd-\(host).pid" }

    /// Waits until `host` accepts a TCP connection on port 22.
    private func awaitListening(_ host: String) throws {
        let deadline = Date().addingTimeInterval(30)
        while !Self.accepts(host) {
            guard Date() < deadline else { throw Failure(description: "sshd in \(host) never accepted a connection") }
            usleep(50_000)
        }
    }

    private static func accepts(_ host: String) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(22).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
