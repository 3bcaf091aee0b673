internal import Foundation

/// The 8x8 forward DCT (ISO/IEC 10918-1 A.3.3) in floating point, with quantization.
enum JPEGForwardDCT {
    /// `basis[u * 8 + x]` = C(u) / 2 * cos((2x + 1) u pi / 16), C(0) = 1 / sqrt 2, else 1.
    private static let basis: [Float] = (0..<64).map { index in
        let u = index / 8, x = index % 8
        let scale: Double = u == 0 ? 1 / 2.0.squareRoot() : 1
        let angle = Double((2 * x + 1) * u) * Double.pi / 16
        return Float(scale / 2 * cos(angle))
    }

    /// The quantized coefficients of every 8x8 block of `plane` (row-major blocks, 64 values
    /// each in zig-zag order); edge blocks repeat the last row and column.
    static func quantizedBlocks(of plane: [UInt8], width: Int, height: Int, quantizer: [Int32]) -> [Int16] {
        let blocksPerLine = (width + 7) / 8, blockLines = (height + 7) / 8
        var output = [Int16](repeating: 0, count: blocksPerLine * blockLines * 64)
        var samples = [Float](repeating: 0, count: 64), rows = [Float](repeating: 0, count: 64)
        let zigzag = JPEGZigZag.naturalIndex
        for blockLine in 0..<blockLines {
            for blockColumn in 0..<blocksPerLine {
                for y in 0..<8 {
                    let row = min(blockLine * 8 + y, height - 1) * width
                    for x in 0..<8 { samples[y * 8 + x] = Float(plane[row + min(blockColumn * 8 + x, width - 1)]) - 128 }
                }
                // Rows: rows[y][u] = sum_x samples[y][x] basis[u][x]; then columns.
                for y in 0..<8 {
                    for u in 0..<8 {
                        var sum: Float = 0
                        for x in 0..<8 { sum += samples[y * 8 + x] * basis[u * 8 + x] }
                        rows[y * 8 + u] = sum
                    }
                }
                let base = (blockLine * blocksPerLine + blockColumn) * 64
                for k in 0..<64 {
                    let natural = zigzag[k], v = natural / 8, u = natural % 8
                    var sum: Float = 0
                    for y in 0..<8 { sum += rows[y * 8 + u] * basis[v * 8 + y] }
                    output[base + k] = Int16((sum / Float(quantizer[natural])).rounded())
                }
            }
        }
        return output
    }
}
