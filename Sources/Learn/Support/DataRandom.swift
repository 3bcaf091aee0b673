internal import Foundation

/// The seeded random stream of data generation, shuffling and augmentation (xorshift64*): small,
/// fast and the same on every platform, so that a seed always gives the same images and batches.
public struct DataRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A stream from `seed` (any value; 0 is replaced by a fixed nonzero state).
    public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    /// A stream for item `index` of a family seeded by `seed`: independent of the order items are drawn in.
    public init(seed: UInt64, index: UInt64) { self.init(seed: Self.mix(seed, index)) }

    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// A uniform value in `low..<high`.
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { Float.random(in: low..<high, using: &self) }

    /// A standard normal value (Box-Muller).
    public mutating func normal() -> Float {
        let u = Float.random(in: Float.ulpOfOne...1, using: &self), v = Float.random(in: 0..<1, using: &self)
        return (-2 * log(u)).squareRoot() * cos(2 * Float.pi * v)
    }

    /// Mixes two numbers into a seed (the SplitMix64 finaliser of their combination).
    public static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 &+ b &+ 0x632B_E59B_D9B4_E019
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
