import Foundation
import Testing
@testable import Learn

/// `peer data inspect` and `peer data labels` as a user runs them.
@Suite struct DataCommandTests {
    /// The SIIM-ACR fixture in ../shared/fixtures beside the repository (or /work/shared).
    static let fixture: String = {
        let name = "siim/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
        let beside = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/" + name).path
        return FileManager.default.fileExists(atPath: beside) ? beside : "/work/shared/fixtures/" + name
    }()

    @Test func inspectReportsTheSIIMFixtureAsJSON() throws {
        let png = NSTemporaryDirectory() + "inspect-\(UUID().uuidString).png"
        let result = try PeerProcess.run(["data", "inspect", Self.fixture, "--json", "--png", png])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(json["rows"] as? Int == 1024 && json["columns"] as? Int == 1024)
        #expect(json["bitsAllocated"] as? Int == 8 && json["bitsStored"] as? Int == 8)
        #expect(json["photometricInterpretation"] as? String == "MONOCHROME2")
        #expect((json["transferSyntax"] as? [String: Any])?["uid"] as? String == "1.2.840.10008.1.2.4.50")
        #expect(json["patientSex"] as? String == "M" && json["patientAge"] as? String == "62" && json["viewPosition"] as? String == "PA")
        let pixels = try #require(json["pixels"] as? [String: Double])
        // Pillow's figures for the same file: min 0, max 254, mean 168189534 / 1024^2.
        #expect(pixels["min"] == 0 && pixels["max"] == 254)
        #expect(abs((pixels["mean"] ?? 0) - 168_189_534.0 / 1_048_576.0) < 1e-9)
        // The PNG: signature, IHDR of 1024 x 1024 8-bit greyscale.
        let bytes = try #require(FileManager.default.contents(atPath: png).map(Array.init))
        #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(bytes[12..<16]) == Array("IHDR".utf8) && Array(bytes[16..<26]) == [0, 0, 4, 0, 0, 0, 4, 0, 8, 0])
        #expect(bytes.count > 1024 * 1025)
    }

    @Test func inspectRefusesBrokenFilesWithTheirName() throws {
        let path = NSTemporaryDirectory() + "broken-\(UUID().uuidString).dcm"
        let original = try #require(FileManager.default.contents(atPath: Self.fixture))
        try original.prefix(5000).write(to: URL(fileURLWithPath: path))
        let result = try PeerProcess.run(["data", "inspect", path])
        #expect(result.status == 64 && result.standardError.contains(path) && result.standardError.contains("truncated"))
        let missing = try PeerProcess.run(["data", "inspect", path + ".absent"])
        #expect(missing.status == 1 && missing.standardError.contains("cannot read"))
    }

    @Test func labelsCountsAsJSONAndNamesBadLines() throws {
        let path = NSTemporaryDirectory() + "labels-\(UUID().uuidString).csv"
        try "ImageId, EncodedPixels\na, -1\nb, 3 4\nb, 10 2\nc,5 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try PeerProcess.run(["data", "labels", path, "--json"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        #expect(json["images"] as? Int == 3 && json["positiveImages"] as? Int == 2 && json["rows"] as? Int == 4)
        #expect(json["imagesWithSeveralMasks"] as? Int == 1 && json["encoding"] as? String == "relative")
        try "ImageId, EncodedPixels\na, 1 2 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = try PeerProcess.run(["data", "labels", path])
        #expect(bad.status == 64 && bad.standardError.contains("\(path):2:"))
    }
}

/// `peer data synth`, `peer train` and `peer model evaluate` chained as a user chains them.
@Suite struct TrainCommandTests {
    @Test func synthTrainThenEvaluateAgree() throws {
        let directory = NSTemporaryDirectory() + "train-\(UUID().uuidString)"
        let data = directory + "/hospital", weights = directory + "/best.safetensors"
        let synth = try PeerProcess.run(["data", "synth", "--out", data, "--images", "40", "--size", "64", "--positive-rate", "0.5", "--site", "2", "--json"])
        #expect(synth.status == 0, "\(synth.standardError)")
        let made = try #require(try JSONSerialization.jsonObject(with: Data(synth.standardOutput.utf8)) as? [String: Any])
        #expect(made["images"] as? Int == 40 && made["positives"] as? Int == 20)
        let again = try PeerProcess.run(["data", "synth", "--out", data, "--images", "4"])
        #expect(again.status == 1 && again.standardError.contains("not empty"))
        let badRate = try PeerProcess.run(["data", "synth", "--out", directory + "/other", "--images", "4", "--positive-rate", "2"])
        #expect(badRate.status == 64)

        let train = try PeerProcess.run(["train", "--data", data, "--model", "small-cnn", "--image-size", "32", "--epochs", "2",
                                         "--out", weights, "--json"])
        #expect(train.status == 0, "\(train.standardError)")
        #expect(train.standardError.contains("epoch 2/2"))
        let trained = try #require(try JSONSerialization.jsonObject(with: Data(train.standardOutput.utf8)) as? [String: Any])
        let test = try #require(trained["test"] as? [String: Any])
        #expect(test["images"] as? Int == 6 && (trained["history"] as? [Any])?.count == 2)
        #expect(FileManager.default.fileExists(atPath: weights) && FileManager.default.fileExists(atPath: weights + ".json"))

        let evaluate = try PeerProcess.run(["model", "evaluate", "--weights", weights, "--data", data, "--json"])
        #expect(evaluate.status == 0, "\(evaluate.standardError)")
        let evaluated = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.standardOutput.utf8)) as? [String: Any])
        for key in ["auc", "f1", "f1At05", "threshold", "precision", "recall"] {
            #expect(evaluated[key] as? Double == test[key] as? Double, "\(key)")
        }
        #expect(evaluated["model"] as? String == "small-cnn" && evaluated["imageSize"] as? Int == 32)
        let wrongModel = try PeerProcess.run(["model", "evaluate", "--weights", weights, "--data", data, "--model", "resnet18"])
        #expect(wrongModel.status == 64 && wrongModel.standardError.contains("pass --model"))
        let noData = try PeerProcess.run(["train", "--data", directory + "/absent"])
        #expect(noData.status == 64 && noData.standardError.contains("train-rle.csv"))
    }
}
