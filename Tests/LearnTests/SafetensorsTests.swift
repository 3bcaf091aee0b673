import Crypto
import Foundation
import Testing
@testable import Learn

@Suite struct SafetensorsTests {
    let tensors = [SafetensorsWriter.Tensor(name: "a.weight", shape: [2, 3], values: [1, -2, 3.5, 0, 1e-8, -7]),
                   SafetensorsWriter.Tensor(name: "a.num_batches_tracked", shape: [], integers: [42]),
                   SafetensorsWriter.Tensor(name: "b", shape: [0], values: [])]

    @Test func roundTripsFloatsIntegersAndScalars() throws {
        let bytes = SafetensorsWriter.encode(tensors)
        let headerLength = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect((8 + headerLength) % 8 == 0)
        let entries = try SafetensorsReader.decode(bytes)
        #expect(entries.map(\.name) == ["a.weight", "a.num_batches_tracked", "b"])
        #expect(entries[0].values == .float32([1, -2, 3.5, 0, 1e-8, -7]) && entries[0].shape == [2, 3])
        #expect(entries[1].values == .int64([42]) && entries[1].shape == [])
    }

    @Test func writesAtomicallyAndReadsBack() throws {
        let path = NSTemporaryDirectory() + "safetensors-\(UUID().uuidString).safetensors"
        try SafetensorsWriter.write(tensors, to: path)
        #expect(try SafetensorsReader.read(contentsOf: path).count == 3)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.contains(".tmp-") && $0.contains(URL(fileURLWithPath: path).lastPathComponent) }
        #expect(leftovers.isEmpty)
    }

    func header(_ json: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let header = Array(json.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.count)).littleEndian) { bytes += $0 }
        return bytes + header + data
    }

    @Test(arguments: [
        ("length past the end", #"{}"#, [UInt8](), UInt64(1 << 40)),
        ("not JSON", "{oops", [], nil),
        ("not an object", "[1, 2]", [], nil),
        ("unknown dtype", #"{"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, [0, 0], nil),
        ("offsets past the end", #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, [0, 0, 0, 0], nil),
        ("shape does not fill", #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], nil),
        ("huge shape", #"{"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], nil),
        ("overlap", #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], nil),
        ("trailing bytes", #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0, 9], nil),
        ("missing fields", #"{"x":{"dtype":"F32"}}"#, [], nil),
    ] as [(String, String, [UInt8], UInt64?)])
    func hostileHeadersAreRefused(what: String, json: String, data: [UInt8], declaredLength: UInt64?) {
        #expect(throws: SafetensorsReader.Malformed.self, "\(what)") { try SafetensorsReader.decode(header(json, data: data, declaredLength: declaredLength)) }
    }

    @Test func shortFilesAreRefused() {
        #expect(throws: SafetensorsReader.Malformed.self) { try SafetensorsReader.decode([1, 2, 3]) }
    }

    @Test func smallCNNStateDictNamesParametersAndBuffers() {
        var generator = SeededGenerator(seed: 5)
        let state = SmallCNN(inputChannels: 1, classCount: 1, using: &generator).stateDict
        #expect(state.map(\.name) == ["features.0.weight", "features.1.weight", "features.1.bias", "features.1.running_mean",
                                      "features.1.running_var", "features.1.num_batches_tracked", "features.4.weight", "features.5.weight",
                                      "features.5.bias", "features.5.running_mean", "features.5.running_var", "features.5.num_batches_tracked",
                                      "classifier.weight", "classifier.bias"])
    }
}
