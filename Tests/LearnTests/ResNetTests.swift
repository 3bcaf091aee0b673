import Crypto
import Testing
@testable import Learn

@Suite struct ResNetTests {
    @Test func resNet18ForOneChannelAndOneLogitHasTorchvisionsShape() {
        var generator = SeededGenerator(seed: 1)
        let model = ResNet(classCount: 1, depth: .resNet18, inputChannels: 1, using: &generator)
        let parameters = model.parameters
        #expect(parameters.reduce(0) { $0 + $1.value.count } == 11_170_753)
        #expect(parameters.first?.name == "conv1.weight" && parameters.first?.value.shape == [64, 1, 7, 7])
        #expect(parameters.last?.name == "fc.bias" && parameters.last?.value.shape == [1])
        let downsample = parameters.first { $0.name == "layer4.0.downsample.0.weight" }
        #expect(downsample?.value.shape == [512, 256, 1, 1])
        let firstStageDownsamples = parameters.filter { $0.name.hasPrefix("layer1.0.downsample") }
        #expect(firstStageDownsamples.isEmpty)
        #expect(model.batchNorms.count == 20)
        let state = model.stateDict
        #expect(state.count == 122) // torchvision's resnet18 state_dict: 20 convs, 20 x 5 batch norm entries, fc
        #expect(state.prefix(7).map(\.name) == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                                                 "bn1.num_batches_tracked", "layer1.0.conv1.weight"])
        // Kaiming normal, fan out: conv1's standard deviation is sqrt(2 / (64 * 49)).
        let weights = parameters[0].value.values
        let deviation = (weights.reduce(0) { $0 + Double($1 * $1) } / Double(weights.count)).squareRoot()
        #expect(abs(deviation - (2.0 / 3136).squareRoot()) < 0.003)
    }

    @Test func forwardAndBackwardKeepShapes() {
        var generator = SeededGenerator(seed: 2)
        let model = ResNet(classCount: 1, depth: .resNet18, inputChannels: 1, using: &generator)
        let input = Tensor(shape: [2, 1, 32, 32], values: (0..<2048).map { _ in Float.random(in: 0...1, using: &generator) })
        let logits = model.forward(input, training: true)
        #expect(logits.shape == [2, 1])
        let finite = logits.values.allSatisfy { $0.isFinite }
        #expect(finite)
        let inputGradient = model.backward(Tensor(shape: [2, 1], values: [1, -1]))
        // The first convolution's input is the data: its gradient is not computed.
        #expect(inputGradient.shape == input.shape)
        #expect(inputGradient.values.allSatisfy { $0 == 0 })
        let finiteGradients = model.parameters.allSatisfy { $0.gradient.values.allSatisfy { $0.isFinite } }
        #expect(finiteGradients)
        #expect(model.parameters.last!.gradient.values == [0]) // d(l1 - l2)/d bias
    }
}

@Suite struct ModelStateTests {
    @Test func theVectorRoundTripsInStateDictOrder() throws {
        var generator = SeededGenerator(seed: 8)
        let model = ResNet(classCount: 1, depth: .resNet18, inputChannels: 1, using: &generator)
        // Parameters plus two running statistics per batch norm channel.
        let channels = model.batchNorms.reduce(0) { $0 + $1.channels }
        let state = ModelState(model)
        #expect(state.vectorCount == 11_170_753 + 2 * channels)
        var vector = state.vector
        #expect(Array(vector.prefix(3)) == Array(model.parameters[0].value.values.prefix(3)))
        for i in vector.indices { vector[i] = Float(i % 1000) / 1000 }
        try state.replacingVector(vector).load(into: model)
        #expect(ModelState(model).vector == vector)
        // bn1's running mean comes right after conv1 (3136 values), bn1.weight and bn1.bias (64 each).
        #expect(model.batchNorms[0].runningMean.values.first == Float((3136 + 128) % 1000) / 1000)
    }

    @Test func addingADeltaKeepsTheIntegersAndTheBytesDecodeBack() throws {
        var generator = SeededGenerator(seed: 9)
        let model = SmallCNN(inputChannels: 1, classCount: 1, using: &generator)
        model.batchNorms[0].batchesTracked = 7
        let state = ModelState(model)
        let delta = (0..<state.vectorCount).map { Float($0 % 5) - 2 }
        let next = state.adding(delta)
        let exact = zip(state.vector, delta).map { $0 + $1 }
        #expect(next.vector == exact, "each value is the old one plus its delta, in float32")
        let decoded = try ModelState(safetensors: next.safetensors)
        #expect(decoded.safetensors == next.safetensors)
        try decoded.load(into: model)
        #expect(model.batchNorms[0].batchesTracked == 7)
        #expect(ModelState(model).vector == next.vector)
        // The pieces of the next state's file, streamed, are that file.
        var streamed: [UInt8] = []
        state.safetensorsPieces(adding: delta) { streamed += $0 }
        #expect(streamed == next.safetensors)
    }

    /// Releasing the caches of a trained model leaves its state, and the next training step
    /// gives the same result as without the release.
    @Test func releasingCachesKeepsTrainingExact() throws {
        func step(release: Bool) throws -> [Float] {
            var generator = SeededGenerator(seed: 4)
            let model = ResNet(classCount: 1, depth: .resNet18, inputChannels: 1, using: &generator)
            let input = Tensor(shape: [2, 1, 32, 32], values: (0..<2048).map { Float($0 % 17) / 17 })
            let optimizer = SGD(learningRate: 0.1, momentum: 0.9)
            for _ in 0..<2 {
                let logits = model.forward(input, training: true)
                let (_, gradient) = FocalLoss().lossAndGradient(logits: logits.values, labels: [0, 1])
                _ = model.backward(Tensor(shape: logits.shape, values: gradient))
                optimizer.step(model.parameters)
                if release { model.releaseCaches() }
            }
            return ModelState(model).vector
        }
        #expect(try step(release: true) == (try step(release: false)))
    }
}
