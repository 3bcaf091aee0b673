internal import Foundation

/// Reads safetensors files, refusing anything malformed before trusting it: header length past
/// the file, non-JSON or non-object headers, unknown dtypes, shapes that do not match their byte
/// ranges, ranges past the end or overlapping, data not covered exactly.
public enum SafetensorsReader {
    /// Why a file was refused.
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { "malformed safetensors: \(reason)" }
    }

    /// A tensor as stored: F32 values, or I64 values (num_batches_tracked).
    public enum Values: Equatable, Sendable {
        case float32([Float])
        case int64([Int64])
    }

    /// A named tensor.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let values: Values
    }

    /// Headers larger than this are refused (the format's own limit is 100 MB).
    static let maximumHeaderByteCount = 100_000_000

    /// The tensors of the file at `path`, in data order.
    public static func read(contentsOf path: String) throws -> [Entry] {
        try decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// The tensors encoded in `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(Malformed) -> [Entry] {
        guard bytes.count >= 8 else { throw Malformed(reason: "\(bytes.count) bytes, shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(min(maximumHeaderByteCount, bytes.count - 8)) else {
            throw Malformed(reason: "header length \(headerLength) exceeds the file (\(bytes.count) bytes)")
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw Malformed(reason: "the header is not a JSON object")
        }
        var entries: [(range: Range<Int>, entry: Entry)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw Malformed(reason: "tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= bytes.count - dataStart else {
                throw Malformed(reason: "tensor '\(name)' has a negative dimension or a byte range past the end")
            }
            let elementSize: Int
            switch dtype {
            case "F32": elementSize = 4
            case "I64": elementSize = 8
            default: throw Malformed(reason: "tensor '\(name)' has dtype \(dtype); only F32 and I64 are read")
            }
            let (count, overflow) = shape.reduce((1, false)) { partial, dimension in
                let product = partial.0.multipliedReportingOverflow(by: dimension)
                return (product.partialValue, partial.1 || product.overflow)
            }
            guard !overflow, count.multipliedReportingOverflow(by: elementSize) == (count * elementSize, false),
                  count * elementSize == offsets[1] - offsets[0] else {
                throw Malformed(reason: "tensor '\(name)' of shape \(shape) does not fill its \(offsets[1] - offsets[0]) bytes")
            }
            let slice = bytes[(dataStart + offsets[0])..<(dataStart + offsets[1])]
            let values: Values = slice.withUnsafeBytes { raw in
                elementSize == 4
                    ? .float32((0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) })
                    : .int64((0..<count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
            }
            entries.append((offsets[0]..<offsets[1], Entry(name: name, shape: shape, values: values)))
        }
        entries.sort { $0.range.lowerBound < $1.range.lowerBound }
        var expected = 0
        for (range, entry) in entries {
            guard range.lowerBound == expected else {
                throw Malformed(reason: "tensor '\(entry.name)' starts at \(range.lowerBound), expected \(expected) (overlap or gap)")
            }
            expected = range.upperBound
        }
        guard expected == bytes.count - dataStart else { throw Malformed(reason: "\(bytes.count - dataStart - expected) bytes after the last tensor") }
        return entries.map(\.entry)
    }
}
