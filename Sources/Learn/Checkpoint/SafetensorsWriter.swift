internal import Foundation

/// Writes safetensors files: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the little-endian data. Written atomically
/// (temporary file, fsync, rename).
public enum SafetensorsWriter {
    /// A named tensor: float32 values, or int64 ones (num_batches_tracked).
    public struct Tensor: Sendable {
        public let name: String
        public let shape: [Int]
        public let values: SafetensorsReader.Values

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
            self.name = name
            self.shape = shape
            self.values = .float32(values)
        }

        public init(name: String, shape: [Int], integers: [Int64]) {
            precondition(shape.reduce(1, *) == integers.count, "shape \(shape) does not hold \(integers.count) values")
            self.name = name
            self.shape = shape
            values = .int64(integers)
        }

        var byteCount: Int {
            switch values {
            case .float32(let v): return v.count * 4
            case .int64(let v): return v.count * 8
            }
        }

        var dtype: String {
            if case .int64 = values { return "I64" }
            return "F32"
        }
    }

    /// The file bytes for `tensors` (in the given order).
    public static func encode(_ tensors: [Tensor]) -> [UInt8] {
        var bytes = head(tensors)
        bytes.reserveCapacity(bytes.count + tensors.reduce(0) { $0 + $1.byteCount })
        for tensor in tensors { // x86_64 and arm64 are little endian
            switch tensor.values {
            case .float32(let values): values.withUnsafeBytes { bytes += $0 }
            case .int64(let values): values.withUnsafeBytes { bytes += $0 }
            }
        }
        return bytes
    }

    /// The bytes before the data of a file of `tensors`: the header's length and the header,
    /// which names every tensor's dtype, shape and byte range.
    public static func head(_ tensors: [Tensor]) -> [UInt8] {
        var offset = 0
        var entries: [String] = []
        for tensor in tensors {
            let end = offset + tensor.byteCount
            entries.append("\(quoted(tensor.name)):{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) } // spaces keep the data 8-byte aligned
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        return bytes + header
    }

    /// Writes `tensors` to `path` atomically.
    public static func write(_ tensors: [Tensor], to path: String) throws {
        try AtomicFile.write(encode(tensors), to: path)
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
