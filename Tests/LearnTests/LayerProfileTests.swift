import Testing
@testable import Learn

/// The per-layer profile records what ran, and nothing when stopped. Other suites may run layers
/// at the same time, so only this test's uniquely named layers are asserted on.
@Suite(.serialized) struct LayerProfileTests {
    @Test func recordsEachLayersPassesOnlyWhileStarted() {
        let convolution = Conv2d(name: "profile-test.conv", inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1,
                                 weights: (0..<18).map { Float($0) / 18 })
        let norm = BatchNorm2d(name: "profile-test.bn", channels: 2)
        let input = Tensor(shape: [2, 1, 8, 8], values: (0..<128).map { Float($0 % 7) / 7 })
        LayerProfile.start()
        for _ in 0..<2 {
            let output = norm.forward(convolution.forward(input, training: true), training: true)
            _ = convolution.backward(norm.backward(Tensor(shape: output.shape, repeating: 1)))
        }
        let entries = LayerProfile.stop()
        let conv = entries.first { $0.name == "profile-test.conv" }, bn = entries.first { $0.name == "profile-test.bn" }
        #expect(conv?.kind == "Conv2d" && conv?.calls == 2 && bn?.kind == "BatchNorm2d" && bn?.calls == 2)
        #expect((conv?.forwardSeconds ?? 0) > 0 && (conv?.backwardSeconds ?? 0) > 0 && (bn?.backwardSeconds ?? 0) > 0)
        // Stopped: another pass is not recorded (stopping again reads the same totals).
        _ = convolution.forward(input, training: false)
        #expect(LayerProfile.stop().first { $0.name == "profile-test.conv" }?.calls == 2)
    }
}
