internal import Foundation

/// How one hospital's images differ from another's: exposure, contrast (gamma), detector blur
/// and noise, and how often chest tubes and ECG leads appear.
public struct SiteProfile: Equatable, Sendable {
    /// The site number (0 is the reference site).
    public let site: Int
    /// Exposure: brightness gain and offset before gamma.
    public let gain: Float
    public let offset: Float
    /// Contrast curve exponent.
    public let gamma: Float
    /// Detector blur, a Gaussian sigma in pixels of a 1024-pixel image.
    public let blurSigma: Float
    /// Noise standard deviation on the 0...1 brightness scale.
    public let noiseSigma: Float
    /// Chance of a chest tube in a negative and in a positive image.
    public let tubeRateNegative: Float
    public let tubeRatePositive: Float
    /// Chance of ECG leads on any image.
    public let ecgRate: Float

    /// The profile of `site`: site 0 is the reference; any other site draws its settings from `generator`.
    public init(site: Int, using generator: inout some RandomNumberGenerator) {
        self.site = site
        guard site != 0 else {
            gain = 1; offset = 0; gamma = 1; blurSigma = 1; noiseSigma = 0.02
            tubeRateNegative = 0.08; tubeRatePositive = 0.3; ecgRate = 0.4
            return
        }
        gain = Float.random(in: 0.85...1.15, using: &generator)
        offset = Float.random(in: -0.05...0.05, using: &generator)
        gamma = Float.random(in: 0.8...1.25, using: &generator)
        blurSigma = Float.random(in: 0.5...2.5, using: &generator)
        noiseSigma = Float.random(in: 0.01...0.035, using: &generator)
        tubeRateNegative = Float.random(in: 0.03...0.15, using: &generator)
        tubeRatePositive = Float.random(in: 0.2...0.5, using: &generator)
        ecgRate = Float.random(in: 0.2...0.7, using: &generator)
    }

    /// The detector's 8-bit image of `canvas` (brightness about 0...1).
    func acquire(_ canvas: PhantomCanvas, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var image = canvas
        image.blur(sigma: blurSigma * Float(canvas.size) / 1024)
        var pending: Float?
        return image.values.map { value in
            let exposed = min(1, max(0, value * gain + offset))
            var sample = pow(exposed, gamma)
            // Box-Muller, two normal deviates per pair of uniforms.
            if let normal = pending {
                sample += noiseSigma * normal
                pending = nil
            } else {
                let u = Float.random(in: Float.ulpOfOne...1, using: &generator), v = Float.random(in: 0..<1, using: &generator)
                let radius = (-2 * log(u)).squareRoot()
                sample += noiseSigma * radius * cos(2 * Float.pi * v)
                pending = radius * sin(2 * Float.pi * v)
            }
            return UInt8(min(255, max(0, (sample * 255).rounded())))
        }
    }
}
