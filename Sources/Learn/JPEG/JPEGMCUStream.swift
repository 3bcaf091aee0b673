/// The symbols of a scan in stream order, shared by the encoder's statistics pass and its writing
/// pass: for each MCU, each component's DC difference category and AC run/size symbols.
struct JPEGMCUStream {
    /// Quantized zig-zag coefficients per component, 64 per block.
    let coefficients: [[Int16]]
    let blockCount: Int
    let restartInterval: Int

    /// Calls `visit(symbol, isDC, extraBits, extraBitCount)` for each coded symbol, and
    /// `visit(-1, false, 0, 0)` where a restart marker goes.
    func forEachSymbol(_ visit: (Int, Bool, UInt32, Int) -> Void) {
        var predictors = [Int](repeating: 0, count: coefficients.count)
        for block in 0..<blockCount {
            if restartInterval > 0, block > 0, block % restartInterval == 0 {
                visit(-1, false, 0, 0)
                predictors = predictors.map { _ in 0 }
            }
            for (component, plane) in coefficients.enumerated() {
                let base = block * 64
                let dc = Int(plane[base])
                let (dcSize, dcBits) = Self.magnitude(dc - predictors[component])
                predictors[component] = dc
                visit(dcSize, true, dcBits, dcSize)
                var run = 0
                for k in 1..<64 {
                    let value = Int(plane[base + k])
                    if value == 0 {
                        run += 1
                        continue
                    }
                    while run > 15 {
                        visit(0xF0, false, 0, 0)
                        run -= 16
                    }
                    let (size, bits) = Self.magnitude(value)
                    visit(run << 4 | size, false, bits, size)
                    run = 0
                }
                if run > 0 { visit(0x00, false, 0, 0) }
            }
        }
    }

    /// The magnitude category of `value` and its extra bits (F.1.2.1: negative values as value - 1).
    static func magnitude(_ value: Int) -> (size: Int, bits: UInt32) {
        guard value != 0 else { return (0, 0) }
        let size = Int.bitWidth - abs(value).leadingZeroBitCount
        let bits = value > 0 ? value : value + (1 << size) - 1
        return (size, UInt32(bits))
    }
}
