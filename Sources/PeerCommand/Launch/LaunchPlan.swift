internal import Foundation
import Gossip

/// Where each peer of a launch runs and with which files: the same paths on every host, as
/// with mpirun.
struct LaunchPlan {
    /// One peer of the topology.
    struct Member {
        let id: String
        let host: String
        /// Nil for a peer on this host; else the remote template with `{host}` filled in.
        let remote: String?
        let key: String
        let data: String
        let state: String
        let log: String
        let status: PeerAddress?
    }

    let topologyPath: String
    let peerBinary: String
    let members: [Member]

    /// Plans `topology` from `topologyPath`.
    /// - Throws: `UsageError` when a peer is not on this host and there is no remote template.
    init(topology: Topology, topologyPath: String, dataRoot: String, keysDirectory: String, stateRoot: String, remote: String?,
         peerBinary: String) throws {
        self.topologyPath = topologyPath
        self.peerBinary = peerBinary
        members = try topology.peers.map { peer in
            let host = peer.address.host
            let local = LocalAddresses.contains(host)
            guard local || remote != nil else {
                throw UsageError(message: "\(peer.id) is at \(host), not on this host; give --remote TEMPLATE (e.g. 'ssh {host}')",
                                 command: "peer launch")
            }
            let state = stateRoot + "/" + peer.id
            return Member(id: peer.id, host: host, remote: local ? nil : remote!.replacingOccurrences(of: "{host}", with: host),
                          key: keysDirectory + "/" + peer.id + ".key", data: dataRoot + "/" + peer.id, state: state,
                          log: state + "/peer.log", status: peer.status)
        }
    }

    /// The arguments of `peer run` for `member`, then `options` (those every peer of the launch
    /// gets, such as `--rounds`).
    func runArguments(_ member: Member, options: [String]) -> [String] {
        ["run", "--topology", topologyPath, "--id", member.id, "--key", member.key, "--data", member.data, "--state", member.state,
         "--log-file", member.log, "--linger"] + options
    }

    /// What runs `peer ARGUMENTS` for `member`: the binary itself on this host,
    /// `/bin/sh -c 'exec TEMPLATE peer ARGUMENTS'` elsewhere (`peer` from the remote PATH).
    func invocation(_ member: Member, _ arguments: [String]) -> ChildProcess.Invocation {
        guard member.remote != nil else { return ChildProcess.Invocation(executable: peerBinary, arguments: arguments) }
        return remoteInvocation(member, ["peer"] + arguments)!
    }

    /// What runs `words` on `member`'s host through the remote template; nil for a peer on
    /// this host.
    func remoteInvocation(_ member: Member, _ words: [String]) -> ChildProcess.Invocation? {
        guard let remote = member.remote else { return nil }
        let command = "exec " + remote + " " + words.map(Self.quoted).joined(separator: " ")
        return ChildProcess.Invocation(executable: "/bin/sh", arguments: ["-c", command])
    }

    /// `text` quoted for a POSIX shell when it needs it.
    static func quoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./:=@%+,".unicodeScalars.contains($0) }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
