import Crypto

/// Writes topology files in the canonical layout: one peer and one link per line, fields in
/// the documented order. The federation id is the hash of these exact bytes.
public enum TopologyWriter {
    /// The file text of a topology.
    public static func text(name: String, peers: [Topology.Peer], links: [Topology.Link],
                            aggregation: AggregationSettings, training: TrainingSettings) -> String {
        let peerLines = peers.map { peer in
            var fields = ["\"id\": \(quoted(peer.id))", "\"address\": \(quoted(peer.address.description))"]
            if let status = peer.status { fields.append("\"status\": \(quoted(status.description))") }
            fields.append("\"key\": \(quoted(peer.key.text))")
            return "    {" + fields.joined(separator: ", ") + "}"
        }
        let linkLines = links.map { "    [\(quoted($0.first)), \(quoted($0.second))]" }
        let aggregationFields = [
            "\"threshold\": \(aggregation.threshold)", "\"masking\": \(quoted(aggregation.masking.description))",
            "\"ringBits\": \(aggregation.ringBits)", "\"fractionBits\": \(aggregation.fractionBits)",
            "\"clip\": \(aggregation.clip)", "\"maxWeight\": \(aggregation.maxWeight)",
        ]
        let trainingFields = [
            "\"model\": \(quoted(training.model))", "\"imageSize\": \(training.imageSize)", "\"rounds\": \(training.rounds)",
            "\"localEpochs\": \(training.localEpochs)", "\"batchSize\": \(training.batchSize)",
            "\"optimizer\": \(quoted(training.optimizer))", "\"learningRate\": \(training.learningRate)", "\"seed\": \(training.seed)",
        ]
        return """
            {
              "format": \(Topology.format),
              "name": \(quoted(name)),
              "peers": [
            \(peerLines.joined(separator: ",\n"))
              ],
              "links": [
            \(linkLines.joined(separator: ",\n"))
              ],
              "aggregation": {\(aggregationFields.joined(separator: ", "))},
              "training": {\(trainingFields.joined(separator: ", "))}
            }

            """
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
