/// Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, in constant time
/// (no tables indexed by secret bytes, no secret-dependent branches).
enum GF256 {
    /// The product of `a` and `b`.
    @inline(__always)
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a, b = b, product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            let carry = a >> 7
            a = (a << 1) ^ (0x1b & (0 &- carry))
            b >>= 1
        }
        return product
    }

    /// The multiplicative inverse of a non-zero `a` (a^254); 0 maps to 0.
    static func inverse(_ a: UInt8) -> UInt8 {
        // a^254 = a^(2+4+8+16+32+64+128)
        var result: UInt8 = 1
        var power = multiply(a, a)
        for _ in 1..<8 {
            result = multiply(result, power)
            power = multiply(power, power)
        }
        return result
    }
}
