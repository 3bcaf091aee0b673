/// Resizing of single-channel images: exact area averaging when shrinking (each output pixel is
/// the mean of the input area it covers, fractional pixels weighted), bilinear when enlarging.
public enum ImageResize {
    /// `pixels` (`width` x `height`, row-major) resized to `newWidth` x `newHeight`.
    public static func resize(_ pixels: [Float], width: Int, height: Int, to newWidth: Int, _ newHeight: Int) -> [Float] {
        precondition(pixels.count == width * height && newWidth > 0 && newHeight > 0)
        if width == newWidth, height == newHeight { return pixels }
        // Rows first (width), then columns (height), each with its own 1-D weights.
        let horizontal = weights(from: width, to: newWidth)
        var rows = [Float](repeating: 0, count: newWidth * height)
        for y in 0..<height {
            for (x, taps) in horizontal.enumerated() {
                var sum: Float = 0
                for (index, weight) in taps { sum += weight * pixels[y * width + index] }
                rows[y * newWidth + x] = sum
            }
        }
        let vertical = weights(from: height, to: newHeight)
        var output = [Float](repeating: 0, count: newWidth * newHeight)
        for (y, taps) in vertical.enumerated() {
            for (index, weight) in taps {
                for x in 0..<newWidth { output[y * newWidth + x] += weight * rows[index * newWidth + x] }
            }
        }
        return output
    }

    /// For each output position, the input positions and weights (summing to 1) that make it.
    static func weights(from inputCount: Int, to outputCount: Int) -> [[(Int, Float)]] {
        let scale = Double(inputCount) / Double(outputCount)
        return (0..<outputCount).map { output in
            if scale >= 1 {
                // The input interval [output * scale, (output + 1) * scale), with fractional ends.
                let start = Double(output) * scale, end = start + scale
                var taps: [(Int, Float)] = []
                var position = Int(start)
                while Double(position) < end, position < inputCount {
                    let overlap = min(end, Double(position + 1)) - max(start, Double(position))
                    if overlap > 1e-9 { taps.append((position, Float(overlap / scale))) }
                    position += 1
                }
                return taps
            }
            // Enlarging: linear interpolation between the two nearest input centres.
            let centre = (Double(output) + 0.5) * scale - 0.5
            let low = max(0, min(inputCount - 1, Int(centre.rounded(.down))))
            let high = min(inputCount - 1, low + 1)
            let fraction = Float(max(0, min(1, centre - Double(low))))
            return low == high ? [(low, Float(1))] : [(low, 1 - fraction), (high, fraction)]
        }
    }
}
