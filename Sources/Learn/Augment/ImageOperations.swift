internal import Foundation

/// The image operations of the augmentation pipeline, on square single-channel images with
/// brightness in 0...1; every result is clamped to 0...1 and keeps the size.
public enum ImageOperations {
    /// Mirrors left and right.
    public static func horizontalFlip(_ image: [Float], size: Int) -> [Float] {
        var output = image
        for row in 0..<size {
            for column in 0..<size { output[row * size + column] = image[row * size + size - 1 - column] }
        }
        return output
    }

    /// Shifts by (`shiftX`, `shiftY`) fractions of the size, scales by `scale` and rotates by
    /// `degrees` about the centre; bilinear sampling, borders reflected (as OpenCV's BORDER_REFLECT_101).
    public static func shiftScaleRotate(_ image: [Float], size: Int, shiftX: Float, shiftY: Float, scale: Float, degrees: Float) -> [Float] {
        let angle = degrees * Float.pi / 180, cosine = cos(angle) / scale, sine = sin(angle) / scale
        let centre = Float(size - 1) / 2
        var output = image
        for row in 0..<size {
            for column in 0..<size {
                // Inverse mapping: where in the input this output pixel comes from.
                let x = Float(column) - centre - shiftX * Float(size), y = Float(row) - centre - shiftY * Float(size)
                let sourceX = cosine * x + sine * y + centre, sourceY = -sine * x + cosine * y + centre
                output[row * size + column] = bilinear(image, size: size, x: sourceX, y: sourceY)
            }
        }
        return output
    }

    /// Crops the `cropSize` square at (`left`, `top`) and resizes it back to `size` (bilinear or area).
    public static func crop(_ image: [Float], size: Int, left: Int, top: Int, cropSize: Int) -> [Float] {
        precondition(left >= 0 && top >= 0 && cropSize > 0 && left + cropSize <= size && top + cropSize <= size)
        var cropped = [Float](repeating: 0, count: cropSize * cropSize)
        for row in 0..<cropSize {
            for column in 0..<cropSize { cropped[row * cropSize + column] = image[(top + row) * size + left + column] }
        }
        return ImageResize.resize(cropped, width: cropSize, height: cropSize, to: size, size)
    }

    /// Adds Gaussian noise of standard deviation `sigma`.
    public static func gaussianNoise(_ image: [Float], sigma: Float, using generator: inout DataRandom) -> [Float] {
        image.map { clamp($0 + sigma * generator.normal()) }
    }

    /// Contrast-limited adaptive histogram equalisation: 256-bin histograms on a `tiles` x `tiles`
    /// grid, each clipped at `clipLimit` times the mean bin count with the excess spread evenly,
    /// mapped through its cumulative distribution and blended bilinearly between tile centres.
    public static func clahe(_ image: [Float], size: Int, clipLimit: Float, tiles: Int = 8) -> [Float] {
        let tileCount = max(1, min(tiles, size))
        let tileSize = Float(size) / Float(tileCount)
        let levels = image.map { Int(clamp($0) * 255 + 0.5) }
        var maps = [[Float]](repeating: [], count: tileCount * tileCount)
        for tileRow in 0..<tileCount {
            for tileColumn in 0..<tileCount {
                let rows = Int(Float(tileRow) * tileSize)..<Int(Float(tileRow + 1) * tileSize)
                let columns = Int(Float(tileColumn) * tileSize)..<Int(Float(tileColumn + 1) * tileSize)
                var histogram = [Float](repeating: 0, count: 256)
                for row in rows { for column in columns { histogram[levels[row * size + column]] += 1 } }
                let pixelCount = Float(rows.count * columns.count)
                let limit = max(1, clipLimit * pixelCount / 256)
                var excess: Float = 0
                for bin in 0..<256 where histogram[bin] > limit {
                    excess += histogram[bin] - limit
                    histogram[bin] = limit
                }
                var total: Float = 0
                maps[tileRow * tileCount + tileColumn] = histogram.map { count in
                    total += count + excess / 256
                    return total / pixelCount
                }
            }
        }
        var output = image
        for row in 0..<size {
            // Position between tile centres, clamped at the borders.
            let tileY = min(max((Float(row) + 0.5) / tileSize - 0.5, 0), Float(tileCount - 1))
            let top = Int(tileY), bottom = min(top + 1, tileCount - 1), fy = tileY - Float(top)
            for column in 0..<size {
                let tileX = min(max((Float(column) + 0.5) / tileSize - 0.5, 0), Float(tileCount - 1))
                let left = Int(tileX), right = min(left + 1, tileCount - 1), fx = tileX - Float(left)
                let level = levels[row * size + column]
                let upper = maps[top * tileCount + left][level] * (1 - fx) + maps[top * tileCount + right][level] * fx
                let lower = maps[bottom * tileCount + left][level] * (1 - fx) + maps[bottom * tileCount + right][level] * fx
                output[row * size + column] = clamp(upper * (1 - fy) + lower * fy)
            }
        }
        return output
    }

    /// Sharpens with a 3x3 Laplacian kernel of strength `lightness`, blended with the original by `alpha`.
    public static func sharpen(_ image: [Float], size: Int, alpha: Float, lightness: Float) -> [Float] {
        var output = image
        for row in 0..<size {
            for column in 0..<size {
                let centre = image[row * size + column]
                var neighbours: Float = 0
                for (dy, dx) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                    neighbours += image[reflect(row + dy, size) * size + reflect(column + dx, size)]
                }
                let sharpened = centre * (1 + 4 * lightness) - lightness * neighbours
                output[row * size + column] = clamp((1 - alpha) * centre + alpha * sharpened)
            }
        }
        return output
    }

    /// Scales contrast about the mean brightness by `1 + contrast` and adds `brightness`.
    public static func brightnessContrast(_ image: [Float], brightness: Float, contrast: Float) -> [Float] {
        let mean = image.reduce(0, +) / Float(max(1, image.count))
        return image.map { clamp(($0 - mean) * (1 + contrast) + mean + brightness) }
    }

    /// Raises every value to the power `gamma`.
    public static func gamma(_ image: [Float], gamma: Float) -> [Float] {
        image.map { clamp(pow(max(0, $0), gamma)) }
    }

    /// Replaces each pixel by the median of its `kernel` x `kernel` neighbourhood (odd kernel, borders reflected).
    public static func medianBlur(_ image: [Float], size: Int, kernel: Int) -> [Float] {
        precondition(kernel % 2 == 1 && kernel >= 1)
        let radius = kernel / 2
        var window = [Float](repeating: 0, count: kernel * kernel)
        var output = image
        for row in 0..<size {
            for column in 0..<size {
                var count = 0
                for dy in -radius...radius {
                    for dx in -radius...radius {
                        window[count] = image[reflect(row + dy, size) * size + reflect(column + dx, size)]
                        count += 1
                    }
                }
                window.sort()
                output[row * size + column] = window[count / 2]
            }
        }
        return output
    }

    // MARK: - Helpers

    @inline(__always) static func clamp(_ value: Float) -> Float { min(1, max(0, value)) }

    /// Reflects an index into 0..<size without repeating the edge (OpenCV's BORDER_REFLECT_101).
    @inline(__always) static func reflect(_ index: Int, _ size: Int) -> Int {
        guard size > 1 else { return 0 }
        var value = index
        while value < 0 || value >= size { value = value < 0 ? -value : 2 * (size - 1) - value }
        return value
    }

    private static func bilinear(_ image: [Float], size: Int, x: Float, y: Float) -> Float {
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let fx = x - Float(x0), fy = y - Float(y0)
        let sample = { (row: Int, column: Int) in image[reflect(row, size) * size + reflect(column, size)] }
        let top = sample(y0, x0) * (1 - fx) + sample(y0, x0 + 1) * fx
        let bottom = sample(y0 + 1, x0) * (1 - fx) + sample(y0 + 1, x0 + 1) * fx
        return clamp(top * (1 - fy) + bottom * fy)
    }
}
