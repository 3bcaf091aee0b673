/// Graphviz DOT text of a topology's peers and links.
public enum TopologyDot {
    public static func text(_ topology: Topology) -> String {
        var lines = ["graph \(TopologyWriter.quoted(topology.name)) {",
                     "  label=\(TopologyWriter.quoted("\(topology.name) (federation \(topology.federationID.short))"));",
                     "  node [shape=box, style=rounded];"]
        for peer in topology.peers {
            lines.append("  \(TopologyWriter.quoted(peer.id)) [label=\(TopologyWriter.quoted("\(peer.id)\n\(peer.address)"))];")
        }
        for link in topology.links {
            lines.append("  \(TopologyWriter.quoted(link.first)) -- \(TopologyWriter.quoted(link.second));")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
