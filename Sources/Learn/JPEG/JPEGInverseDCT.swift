/// The 8x8 inverse DCT in integer arithmetic: the Loeffler-Ligtenberg-Moschytz factorisation with
/// 13-bit constants and two extra bits between passes, the "slow integer" method of the IJG
/// libjpeg, so that decoded samples are bit-identical to libjpeg's (and Pillow's) default.
enum JPEGInverseDCT {
    private static let constantBits: Int32 = 13
    private static let passBits: Int32 = 2

    // The cosine factors scaled by 2^13 and rounded.
    private static let f0_298631336: Int32 = 2446
    private static let f0_390180644: Int32 = 3196
    private static let f0_541196100: Int32 = 4433
    private static let f0_765366865: Int32 = 6270
    private static let f0_899976223: Int32 = 7373
    private static let f1_175875602: Int32 = 9633
    private static let f1_501321110: Int32 = 12299
    private static let f1_847759065: Int32 = 15137
    private static let f1_961570560: Int32 = 16069
    private static let f2_053119869: Int32 = 16819
    private static let f2_562915447: Int32 = 20995
    private static let f3_072711026: Int32 = 25172

    @inline(__always)
    private static func descale(_ value: Int32, _ shift: Int32) -> Int32 {
        (value &+ (1 << (shift - 1))) >> shift
    }

    /// One 1-D pass over eight values `x0...x7` (in frequency order): the eight outputs before scaling.
    @inline(__always)
    private static func transform(_ x0: Int32, _ x1: Int32, _ x2: Int32, _ x3: Int32,
                                  _ x4: Int32, _ x5: Int32, _ x6: Int32, _ x7: Int32,
                                  shift: Int32, store: (Int, Int32) -> Void) {
        // Even part.
        let z1 = (x2 &+ x6) &* f0_541196100
        let even2 = z1 &+ x6 &* -f1_847759065
        let even3 = z1 &+ x2 &* f0_765366865
        let even0 = (x0 &+ x4) << constantBits
        let even1 = (x0 &- x4) << constantBits
        let tmp10 = even0 &+ even3, tmp13 = even0 &- even3
        let tmp11 = even1 &+ even2, tmp12 = even1 &- even2
        // Odd part.
        var odd0 = x7, odd1 = x5, odd2 = x3, odd3 = x1
        let sum1 = odd0 &+ odd3, sum2 = odd1 &+ odd2, sum3 = odd0 &+ odd2, sum4 = odd1 &+ odd3
        let z5 = (sum3 &+ sum4) &* f1_175875602
        odd0 = odd0 &* f0_298631336
        odd1 = odd1 &* f2_053119869
        odd2 = odd2 &* f3_072711026
        odd3 = odd3 &* f1_501321110
        let m1 = sum1 &* -f0_899976223, m2 = sum2 &* -f2_562915447
        let m3 = sum3 &* -f1_961570560 &+ z5, m4 = sum4 &* -f0_390180644 &+ z5
        odd0 = odd0 &+ m1 &+ m3
        odd1 = odd1 &+ m2 &+ m4
        odd2 = odd2 &+ m2 &+ m3
        odd3 = odd3 &+ m1 &+ m4
        store(0, descale(tmp10 &+ odd3, shift))
        store(7, descale(tmp10 &- odd3, shift))
        store(1, descale(tmp11 &+ odd2, shift))
        store(6, descale(tmp11 &- odd2, shift))
        store(2, descale(tmp12 &+ odd1, shift))
        store(5, descale(tmp12 &- odd1, shift))
        store(3, descale(tmp13 &+ odd0, shift))
        store(4, descale(tmp13 &- odd0, shift))
    }

    /// Transforms the dequantized coefficients `block` (64, natural order) and writes the 8x8
    /// samples, level-shifted by 128 and clamped to 0...255, at `output` with `stride` samples per row.
    static func transform(_ block: UnsafeMutablePointer<Int32>, into output: UnsafeMutablePointer<UInt8>, stride: Int) {
        // Columns, keeping two extra bits of precision.
        for column in 0..<8 {
            let c = block + column
            if c[8] == 0, c[16] == 0, c[24] == 0, c[32] == 0, c[40] == 0, c[48] == 0, c[56] == 0 {
                let dc = c[0] << passBits
                for row in 0..<8 { c[row * 8] = dc }
                continue
            }
            transform(c[0], c[8], c[16], c[24], c[32], c[40], c[48], c[56], shift: constantBits - passBits) { row, value in
                c[row * 8] = value
            }
        }
        // Rows, removing the precision bits and the factor 8.
        for row in 0..<8 {
            let r = block + row * 8
            let out = output + row * stride
            transform(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], shift: constantBits + passBits + 3) { column, value in
                out[column] = UInt8(clamping: value &+ 128)
            }
        }
    }
}
