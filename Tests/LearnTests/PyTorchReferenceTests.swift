import Crypto
import Foundation
import Testing
@testable import Learn

/// One training step of a small CNN against PyTorch (Vectors/small-step.safetensors, written by
/// tools/make-learn-vectors.py): logits, focal loss, every gradient, and the parameters and
/// running statistics after an SGD step with momentum, weight decay and Nesterov.
@Suite struct PyTorchReferenceTests {
    let reference: [String: [Float]] = {
        let url = Bundle.module.url(forResource: "small-step", withExtension: "safetensors", subdirectory: "Vectors")!
        let entries = try! SafetensorsReader.read(contentsOf: url.path)
        return Dictionary(uniqueKeysWithValues: entries.compactMap { entry in
            if case .float32(let values) = entry.values { return (entry.name, values) }
            return nil
        })
    }()

    func expectClose(_ ours: [Float], _ theirs: [Float]?, tolerance: Float, _ what: String) {
        guard let theirs, theirs.count == ours.count else {
            Issue.record("\(what): reference missing or of another size")
            return
        }
        let worst = zip(ours, theirs).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst <= tolerance, "\(what): largest relative difference \(worst)")
    }

    @Test func oneTrainingStepMatchesPyTorch() throws {
        var generator = SeededGenerator(seed: 0)
        let model = SmallCNN(inputChannels: 1, classCount: 1, using: &generator)
        let norms = model.layers.compactMap { $0 as? BatchNorm2d }
        for parameter in model.parameters { parameter.value.values = reference["before." + parameter.name]! }
        for norm in norms {
            let prefix = "before." + norm.weight.name.dropLast(".weight".count)
            norm.runningMean.values = reference[prefix + ".running_mean"]!
            norm.runningVariance.values = reference[prefix + ".running_var"]!
        }
        let input = Tensor(shape: [4, 1, 8, 8], values: reference["input"]!)
        let logits = model.forward(input, training: true)
        expectClose(logits.values, reference["logits"], tolerance: 1e-5, "logits")
        let (loss, gradient) = FocalLoss(gamma: 2, alpha: 0.25).lossAndGradient(logits: logits.values, labels: reference["labels"]!)
        expectClose([Float(loss)], reference["loss"], tolerance: 1e-5, "loss")
        _ = model.backward(Tensor(shape: logits.shape, values: gradient))
        for parameter in model.parameters {
            expectClose(parameter.gradient.values, reference["gradient." + parameter.name], tolerance: 1e-4, "gradient of \(parameter.name)")
        }
        SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true).step(model.parameters)
        for parameter in model.parameters {
            expectClose(parameter.value.values, reference["after." + parameter.name], tolerance: 1e-5, "\(parameter.name) after the step")
        }
        for norm in norms {
            let prefix = "after." + norm.weight.name.dropLast(".weight".count)
            expectClose(norm.runningMean.values, reference[prefix + ".running_mean"], tolerance: 1e-5, "\(prefix).running_mean")
            expectClose(norm.runningVariance.values, reference[prefix + ".running_var"], tolerance: 1e-5, "\(prefix).running_var")
        }
    }
}
