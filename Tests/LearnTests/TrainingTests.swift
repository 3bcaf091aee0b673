import Crypto
import Foundation
import Testing
@testable import Learn

@Suite struct SGDTests {
    /// Two steps by hand, with PyTorch's rule (momentum 0.9, weight decay 0.1, Nesterov).
    @Test func updatesFollowPyTorch() {
        let parameter = Parameter(name: "w", value: Tensor(shape: [1], values: [1]))
        let sgd = SGD(learningRate: 0.5, momentum: 0.9, weightDecay: 0.1, nesterov: true)
        parameter.gradient.values = [2]
        sgd.step([parameter])
        // g = 2 + 0.1 = 2.1; b = 2.1; g' = 2.1 + 0.9 * 2.1 = 3.99; p = 1 - 0.5 * 3.99
        #expect(abs(parameter.value.values[0] - (1 - 0.5 * 3.99)) < 1e-6)
        #expect(parameter.gradient.values == [0])
        parameter.gradient.values = [1]
        sgd.step([parameter])
        let p1: Float = 1 - 0.5 * 3.99, g: Float = 1 + 0.1 * p1, b: Float = 0.9 * 2.1 + g
        #expect(abs(parameter.value.values[0] - (p1 - 0.5 * (g + 0.9 * b))) < 1e-6)
    }
}

@Suite struct ToyTrainingTests {
    /// Bright blob somewhere (label 1) or none (label 0), on noise: 16x16 images.
    func batch(_ count: Int, using generator: inout SeededGenerator) -> (Tensor, [Float]) {
        var values: [Float] = [], labels: [Float] = []
        for _ in 0..<count {
            let positive = Bool.random(using: &generator)
            let (cy, cx) = (Float.random(in: 4...11, using: &generator), Float.random(in: 4...11, using: &generator))
            for y in 0..<16 {
                for x in 0..<16 {
                    var value = Float.random(in: 0...0.3, using: &generator)
                    if positive {
                        let d2 = (Float(y) - cy) * (Float(y) - cy) + (Float(x) - cx) * (Float(x) - cx)
                        value += exp(-d2 / 6)
                    }
                    values.append(value)
                }
            }
            labels.append(positive ? 1 : 0)
        }
        return (Tensor(shape: [count, 1, 16, 16], values: values), labels)
    }

    @Test func smallCNNLearnsBrightVersusDark() {
        var generator = SeededGenerator(seed: 3)
        let model = SmallCNN(inputChannels: 1, classCount: 1, using: &generator)
        let sgd = SGD(learningRate: 0.1, momentum: 0.9)
        let loss = FocalLoss(gamma: 0, alpha: 0.5)
        var first = 0.0, last = 0.0
        for step in 0..<40 {
            let (images, labels) = batch(16, using: &generator)
            let logits = model.forward(images, training: true)
            let (value, gradient) = loss.lossAndGradient(logits: logits.values, labels: labels)
            if step == 0 { first = value }
            last = value
            _ = model.backward(Tensor(shape: logits.shape, values: gradient))
            sgd.step(model.parameters)
        }
        #expect(last < first / 2)
        let (images, labels) = batch(128, using: &generator)
        let logits = model.forward(images, training: false)
        let correct = zip(logits.values, labels).filter { ($0 > 0) == ($1 > 0.5) }.count
        #expect(correct >= 122, "accuracy \(correct)/128")
    }
}

@Suite struct AdamAndScheduleTests {
    /// The first Adam step moves each value by about the learning rate against its gradient's sign.
    @Test func firstAdamStepIsTheLearningRateTimesTheSign() {
        let parameter = Parameter(name: "w", value: Tensor(shape: [3], values: [1, 1, 1]))
        parameter.gradient.values = [0.3, -5, 0]
        Adam(learningRate: 0.01).step([parameter])
        #expect(abs(parameter.value.values[0] - 0.99) < 1e-5)
        #expect(abs(parameter.value.values[1] - 1.01) < 1e-5)
        #expect(parameter.value.values[2] == 1)
        #expect(parameter.gradient.values == [0, 0, 0])
    }

    @Test func adamMinimisesAQuadratic() {
        let parameter = Parameter(name: "w", value: Tensor(shape: [1], values: [3]))
        let adam = Adam(learningRate: 0.1)
        for _ in 0..<300 {
            parameter.gradient.values = [2 * (parameter.value.values[0] - 1)] // d/dw (w - 1)^2
            adam.step([parameter])
        }
        #expect(abs(parameter.value.values[0] - 1) < 0.05)
    }

    @Test func schedulesMatchPyTorch() {
        let cosine = LearningRateSchedule.cosine(totalEpochs: 10, minimum: 0)
        #expect(cosine.rate(base: 0.1, epoch: 0) == 0.1)
        #expect(abs(cosine.rate(base: 0.1, epoch: 5) - 0.05) < 1e-7)
        #expect(abs(cosine.rate(base: 0.1, epoch: 10)) < 1e-7)
        let step = LearningRateSchedule.step(every: 3, factor: 0.5)
        #expect([0, 2, 3, 6, 7].map { step.rate(base: 0.8, epoch: $0) } == [0.8, 0.8, 0.4, 0.2, 0.2])
        #expect(LearningRateSchedule.constant.rate(base: 0.3, epoch: 99) == 0.3)
    }
}

/// The toy task as a batch source: a fixed set of batches per epoch, seeded.
struct ToySource: BatchSource {
    let batchCount: Int
    func batches(epoch: Int) -> [Batch] {
        var generator = SeededGenerator(seed: UInt64(100 + epoch))
        return (0..<batchCount).map { _ in
            let (images, labels) = ToyTrainingTests().batch(16, using: &generator)
            return Batch(images: images, labels: labels)
        }
    }
}

@Suite struct TrainerTests {
    @Test func trainsWithProgressAndSchedule() {
        var generator = SeededGenerator(seed: 4)
        let model = SmallCNN(inputChannels: 1, classCount: 1, using: &generator)
        let trainer = Trainer(model: model, optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: FocalLoss(gamma: 2, alpha: 0.5),
                              schedule: .step(every: 2, factor: 0.5))
        var reports: [TrainingProgress] = []
        let summary = trainer.train(epochs: 4, source: ToySource(batchCount: 10)) { reports.append($0) }
        #expect(summary.batches == 40 && summary.images == 640 && !summary.cancelled)
        #expect(reports.count == 40)
        #expect(reports.allSatisfy { $0.imagesPerSecond > 0 && $0.batchesPerEpoch == 10 })
        #expect(reports.map(\.learningRate).first == 0.1 && reports.map(\.learningRate).last == 0.05)
        let early = reports.prefix(10).map(\.loss).reduce(0, +), late = reports.suffix(10).map(\.loss).reduce(0, +)
        #expect(late < early / 2)
    }

    @Test func cancellationStopsBeforeTheNextBatch() {
        var generator = SeededGenerator(seed: 5)
        let model = SmallCNN(inputChannels: 1, classCount: 1, using: &generator)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), loss: FocalLoss())
        var seen = 0
        let summary = trainer.train(epochs: 3, source: ToySource(batchCount: 5), progress: { _ in seen += 1 }, isCancelled: { seen >= 3 })
        #expect(summary.cancelled)
        #expect(summary.batches == 3)
    }
}
