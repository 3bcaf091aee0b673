internal import Foundation

/// A square Float image in normalised coordinates (x right, y down, both 0...1) with the
/// painting primitives the chest phantom is drawn with. Every primitive only visits the pixels
/// of its bounding box.
struct PhantomCanvas {
    /// Pixels per side.
    let size: Int
    /// `size * size` values, row-major.
    var values: [Float]

    init(size: Int, value: Float = 0) {
        self.size = size
        self.values = [Float](repeating: value, count: size * size)
    }

    /// The pixel range covering `low...high` in normalised coordinates, clipped to the image.
    private func pixels(_ low: Float, _ high: Float) -> Range<Int> {
        let first = max(0, Int((low * Float(size)).rounded(.down)))
        let last = min(size, Int((high * Float(size)).rounded(.up)) + 1)
        return first..<max(first, last)
    }

    /// The normalised coordinate of pixel index `index`'s centre.
    @inline(__always) func coordinate(_ index: Int) -> Float { (Float(index) + 0.5) / Float(size) }

    /// Calls `body(x, y, index)` for every pixel whose centre is in the box.
    func forEachPixel(x: ClosedRange<Float>, y: ClosedRange<Float>, _ body: (Float, Float, Int) -> Void) {
        for row in pixels(y.lowerBound, y.upperBound) {
            let yc = coordinate(row)
            for column in pixels(x.lowerBound, x.upperBound) { body(coordinate(column), yc, row * size + column) }
        }
    }

    /// Adds `amount * m` where m is 1 inside the ellipse and falls to 0 over `softness` across its edge.
    mutating func addEllipse(centre: (x: Float, y: Float), radii: (x: Float, y: Float), amount: Float, softness: Float) {
        let reach = 1 + softness / min(radii.x, radii.y)
        forEachPixel(x: (centre.x - radii.x * reach)...(centre.x + radii.x * reach),
                     y: (centre.y - radii.y * reach)...(centre.y + radii.y * reach)) { x, y, index in
            let dx = (x - centre.x) / radii.x, dy = (y - centre.y) / radii.y
            let radius = (dx * dx + dy * dy).squareRoot()
            // Distance outside the edge, approximately, in normalised units.
            let outside = (radius - 1) * min(radii.x, radii.y)
            values[index] += amount * Self.smoothStep(outside, softness)
        }
    }

    /// 1 well inside (`distance <= -softness`), 0 well outside, smooth in between.
    @inline(__always) static func smoothStep(_ distance: Float, _ softness: Float) -> Float {
        let t = min(1, max(0, 0.5 - distance / (2 * softness)))
        return t * t * (3 - 2 * t)
    }

    /// Adds a stroke along `points`: `amount` at the centre line, a Gaussian profile of half-width
    /// `width` across it; `edge` adds a brighter rim (cortical bone) at the border.
    mutating func addStroke(_ points: [(x: Float, y: Float)], width: Float, amount: Float, edge: Float = 0) {
        guard points.count >= 2 else { return }
        for (a, b) in zip(points, points.dropFirst()) {
            let reach = 2.5 * width
            let dx = b.x - a.x, dy = b.y - a.y
            let lengthSquared = max(dx * dx + dy * dy, 1e-12)
            forEachPixel(x: (min(a.x, b.x) - reach)...(max(a.x, b.x) + reach),
                         y: (min(a.y, b.y) - reach)...(max(a.y, b.y) + reach)) { x, y, index in
                // Only the part of the profile nearest this segment's interior, so joints do not double up.
                let t = ((x - a.x) * dx + (y - a.y) * dy) / lengthSquared
                guard t >= 0, t < 1 else { return }
                let px = a.x + t * dx - x, py = a.y + t * dy - y
                let distance = (px * px + py * py).squareRoot() / width
                var value = amount * exp(-distance * distance)
                if edge != 0 { value += edge * exp(-(distance - 1) * (distance - 1) * 8) }
                values[index] += value
            }
        }
    }

    /// Blurs with a Gaussian of `sigma` pixels (separable, edges clamped).
    mutating func blur(sigma: Float) {
        guard sigma > 0.3 else { return }
        let radius = Int((3 * sigma).rounded(.up))
        var kernel = (-radius...radius).map { exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        var scratch = values
        for row in 0..<size {
            for column in 0..<size {
                var sum: Float = 0
                for (offset, weight) in kernel.enumerated() {
                    sum += weight * values[row * size + min(size - 1, max(0, column + offset - radius))]
                }
                scratch[row * size + column] = sum
            }
        }
        for row in 0..<size {
            for column in 0..<size {
                var sum: Float = 0
                for (offset, weight) in kernel.enumerated() {
                    sum += weight * scratch[min(size - 1, max(0, row + offset - radius)) * size + column]
                }
                values[row * size + column] = sum
            }
        }
    }
}

/// Smooth random texture: value noise on a coarse lattice, bicubically smoothed, in -1...1.
struct ValueNoise {
    private let lattice: [Float]
    private let cells: Int

    init(cells: Int, using generator: inout some RandomNumberGenerator) {
        self.cells = cells
        self.lattice = (0..<((cells + 1) * (cells + 1))).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// The noise at normalised (`x`, `y`).
    func callAsFunction(_ x: Float, _ y: Float) -> Float {
        let fx = min(max(x, 0), 0.9999) * Float(cells), fy = min(max(y, 0), 0.9999) * Float(cells)
        let column = Int(fx), row = Int(fy)
        let tx = fx - Float(column), ty = fy - Float(row)
        let sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty)
        let stride = cells + 1
        let top = lattice[row * stride + column] * (1 - sx) + lattice[row * stride + column + 1] * sx
        let bottom = lattice[(row + 1) * stride + column] * (1 - sx) + lattice[(row + 1) * stride + column + 1] * sx
        return top * (1 - sy) + bottom * sy
    }
}
