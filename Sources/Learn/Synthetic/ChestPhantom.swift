internal import Foundation

/// A synthetic frontal chest radiograph: body outline, lung fields with branching markings over
/// texture, ribs and clavicles, spine, trachea, mediastinum and heart, diaphragm domes; optionally a
/// pneumothorax (a thin bright visceral pleural line with no lung markings between it and the
/// chest wall) and confounders (chest tube, ECG leads) in either class.
public struct ChestPhantom: Sendable {
    /// One lung field: an ellipse cut below by its diaphragm dome. `side` is -1 on the image's
    /// left (the patient's right in a PA view), +1 on its right.
    struct Lung: Sendable {
        let side: Float
        let centre: (x: Float, y: Float)
        let radii: (x: Float, y: Float)
        /// The dome's height at the lung's centre line, as a fraction of the vertical radius below the centre.
        let domeApex: Float

        /// The dome's y at `x`: highest in the middle of the hemithorax, lowest at the costophrenic angle.
        func dome(_ x: Float) -> Float {
            let u = (x - centre.x) / radii.x
            return centre.y + radii.y * (domeApex + (0.97 - domeApex) * u * u)
        }

        /// Elliptic radius (1 on the outline) and angle from the apex towards the lateral wall.
        func polar(_ x: Float, _ y: Float) -> (radius: Float, angle: Float) {
            let dx = (x - centre.x) / radii.x, dy = (y - centre.y) / radii.y
            return ((dx * dx + dy * dy).squareRoot(), atan2(side * dx, -dy))
        }
    }

    /// A pneumothorax: air between the chest wall and the collapsed lung over an arc of the lung's
    /// apical and lateral outline.
    public struct Pneumothorax: Sendable {
        /// 0 for the image's left lung, 1 for its right.
        public let lung: Int
        /// The arc, as angles from the apex (0) towards the lateral wall (pi / 2) and below.
        public let arcStart: Float
        public let arcEnd: Float
        /// The largest depth of the air gap, as a fraction of the lung's elliptic radius.
        public let depth: Float

        /// The gap's depth at `angle`, tapering to 0 at the arc's ends.
        func depth(at angle: Float) -> Float {
            guard angle > arcStart, angle < arcEnd else { return 0 }
            return depth * sin(Float.pi * (angle - arcStart) / (arcEnd - arcStart)).squareRoot()
        }
    }

    let lungs: [Lung]
    /// The pneumothorax, or nil for a negative image.
    public let pneumothorax: Pneumothorax?
    /// Confounders.
    public let hasChestTube: Bool
    public let ecgLeadCount: Int
    let heart: (centre: (x: Float, y: Float), radii: (x: Float, y: Float))
    let torso: (centre: (x: Float, y: Float), radii: (x: Float, y: Float))
    let ribSpacing: Float
    let ribTop: Float
    let seed: UInt64

    /// A random patient; positive ones have a pneumothorax.
    public init(positive: Bool, site: SiteProfile, using generator: inout some RandomNumberGenerator) {
        func jitter(_ scale: Float) -> Float { Float.random(in: -scale...scale, using: &generator) }
        let shift = jitter(0.025), scale = 1 + jitter(0.05), top = 0.42 + jitter(0.02)
        lungs = [-1, 1].map { side in
            Lung(side: side, centre: (0.5 + shift + side * (0.185 + jitter(0.015)) * scale + (side > 0 ? 0.01 : 0), top + (side > 0 ? 0.015 : 0)),
                 radii: ((0.145 + jitter(0.012)) * scale, (0.29 + jitter(0.02)) * scale), domeApex: 0.5 + jitter(0.06))
        }
        heart = ((0.5 + shift + 0.06 + jitter(0.015), top + 0.2 + jitter(0.02)), (0.125 + jitter(0.015), 0.105 + jitter(0.01)))
        torso = ((0.5 + shift, 0.62), (0.44 * scale + jitter(0.02), 0.62))
        ribSpacing = (0.056 + jitter(0.004)) * scale
        ribTop = top - 0.27 * scale
        if positive {
            // Many pneumothoraces are small: the depth is skewed towards small values.
            let u = Float.random(in: 0...1, using: &generator)
            let centre = Float.random(in: 0.1...0.55, using: &generator) * Float.pi
            let span = Float.random(in: 0.3...0.85, using: &generator) * Float.pi
            pneumothorax = Pneumothorax(lung: Int.random(in: 0...1, using: &generator),
                                        arcStart: max(-0.15 * Float.pi, centre - span / 2), arcEnd: min(0.8 * Float.pi, centre + span / 2),
                                        depth: 0.07 + 0.42 * pow(u, 1.6))
        } else {
            pneumothorax = nil
        }
        hasChestTube = Float.random(in: 0..<1, using: &generator) < (positive ? site.tubeRatePositive : site.tubeRateNegative)
        ecgLeadCount = Float.random(in: 0..<1, using: &generator) < site.ecgRate ? Int.random(in: 2...4, using: &generator) : 0
        seed = generator.next()
    }

    /// The phantom drawn at `size` x `size`: brightness about 0...1 before acquisition, and the
    /// pneumothorax mask (255 inside).
    func render(size: Int) -> (canvas: PhantomCanvas, mask: [UInt8]) {
        var generator = DataRandom(seed: seed)
        var image = PhantomCanvas(size: size, value: 0.05)
        // Body: torso, neck and shoulders, as a mask that saturates where the parts overlap.
        var body = PhantomCanvas(size: size)
        body.addEllipse(centre: torso.centre, radii: torso.radii, amount: 1, softness: 0.02)
        body.addEllipse(centre: (torso.centre.x, 0.06), radii: (0.085, 0.16), amount: 1, softness: 0.015)
        for side: Float in [-1, 1] {
            body.addEllipse(centre: (torso.centre.x + side * 0.3, 0.2), radii: (0.2, 0.1), amount: 1, softness: 0.02)
        }
        var heartMask = PhantomCanvas(size: size)
        heartMask.addEllipse(centre: heart.centre, radii: heart.radii, amount: 1, softness: 0.012)
        // Lungs, cut by the diaphragm and the heart, and the pneumothorax region within them.
        var lungMask = PhantomCanvas(size: size), air = PhantomCanvas(size: size), pleura = PhantomCanvas(size: size)
        // The collapsed lung is denser (brighter) the larger the pneumothorax.
        var collapsed = PhantomCanvas(size: size)
        let lineWidth = max(0.0015, 1 / Float(size))
        for (index, lung) in lungs.enumerated() {
            let gap = pneumothorax?.lung == index ? pneumothorax : nil
            lungMask.forEachPixel(x: (lung.centre.x - lung.radii.x - 0.01)...(lung.centre.x + lung.radii.x + 0.01),
                                  y: (lung.centre.y - lung.radii.y - 0.01)...(lung.centre.y + lung.radii.y + 0.01)) { x, y, pixel in
                let (radius, angle) = lung.polar(x, y)
                let inside = PhantomCanvas.smoothStep((radius - 1) * lung.radii.x, 0.01)
                    * PhantomCanvas.smoothStep(y - lung.dome(x), 0.008) * (1 - min(1, heartMask.values[pixel]))
                lungMask.values[pixel] = max(lungMask.values[pixel], inside)
                guard let gap, inside > 0.5 else { return }
                collapsed.values[pixel] = gap.depth
                let depth = gap.depth(at: angle)
                guard depth > 0 else { return }
                let boundary = 1 - depth
                let localRadius = ((x - lung.centre.x) * (x - lung.centre.x) + (y - lung.centre.y) * (y - lung.centre.y)).squareRoot() / max(radius, 1e-4)
                let distance = (radius - boundary) * localRadius
                if distance > 0 { air.values[pixel] = 1 }
                pleura.values[pixel] = exp(-(distance / lineWidth) * (distance / lineWidth))
            }
        }
        for index in image.values.indices {
            let inBody = min(1, body.values[index])
            image.values[index] += 0.5 * inBody - 0.3 * lungMask.values[index] + 0.1 * heartMask.values[index]
        }
        // Lung texture and branching markings, absent where air replaced the lung.
        let coarse = ValueNoise(cells: 12, using: &generator), fine = ValueNoise(cells: 40, using: &generator)
        var markings = PhantomCanvas(size: size)
        for lung in lungs { drawVessels(of: lung, on: &markings, using: &generator) }
        for index in image.values.indices where lungMask.values[index] > 0 {
            let x = image.coordinate(index % size), y = image.coordinate(index / size)
            let tissue = 0.03 * coarse(x, y) + 0.03 * fine(x, y) + markings.values[index]
            let lungShare = lungMask.values[index]
            let lungTissue = tissue + 0.09 * collapsed.values[index]
            image.values[index] += lungShare * ((1 - air.values[index]) * lungTissue - 0.07 * air.values[index]) + 0.12 * pleura.values[index]
        }
        drawBones(on: &image, using: &generator)
        if hasChestTube { drawChestTube(on: &image, using: &generator) }
        for _ in 0..<ecgLeadCount { drawECGLead(on: &image, using: &generator) }
        let mask = air.values.map { $0 > 0 ? UInt8(255) : 0 }
        return (image, mask)
    }

    // MARK: - Anatomy

    private func drawVessels(of lung: Lung, on canvas: inout PhantomCanvas, using generator: inout DataRandom) {
        let hilum = (x: lung.centre.x - lung.side * lung.radii.x * 0.55, y: lung.centre.y + 0.08 * lung.radii.y)
        for trunk in 0..<3 {
            // Up, out and down from the hilum.
            let angle = lung.side > 0 ? [-1.2, -0.2, 0.7][trunk] : Float.pi - [-1.2, -0.2, 0.7][trunk]
            branch(from: hilum, angle: angle + generator.uniform(-0.2, 0.2), length: lung.radii.y * 0.32, width: 0.0065,
                   depth: 6, on: &canvas, using: &generator)
        }
    }

    private func branch(from start: (x: Float, y: Float), angle: Float, length: Float, width: Float, depth: Int,
                        on canvas: inout PhantomCanvas, using generator: inout DataRandom) {
        let bend = generator.uniform(-0.25, 0.25)
        let middle = (x: start.x + cos(angle) * length / 2, y: start.y + sin(angle) * length / 2)
        let end = (x: middle.x + cos(angle + bend) * length / 2, y: middle.y + sin(angle + bend) * length / 2)
        canvas.addStroke([start, middle, end], width: width, amount: 0.08 * (width / 0.0065).squareRoot())
        guard depth > 1 else { return }
        for direction: Float in [-1, 1] {
            branch(from: end, angle: angle + bend + direction * generator.uniform(0.2, 0.55), length: length * generator.uniform(0.62, 0.8),
                   width: width * 0.72, depth: depth - 1, on: &canvas, using: &generator)
        }
    }

    private func drawBones(on image: inout PhantomCanvas, using generator: inout DataRandom) {
        let centre = torso.centre.x
        // Spine and trachea.
        image.addStroke([(centre, 0.0), (centre, 0.95)], width: 0.03, amount: 0.1)
        image.addStroke([(centre, 0.02), (centre + 0.005, 0.33)], width: 0.011, amount: -0.1)
        // Posterior ribs: arcs from the spine, rising then falling towards the lateral wall.
        for side: Float in [-1, 1] {
            for rib in 0..<10 {
                let y0 = ribTop + Float(rib) * ribSpacing + generator.uniform(-0.004, 0.004)
                let reach = torso.radii.x * 0.93
                let points = (0...16).map { step -> (x: Float, y: Float) in
                    let h = 0.02 + reach * Float(step) / 16
                    return (centre + side * h, y0 - 0.035 * sin(Float.pi * h / reach) + 0.16 * h * h / reach)
                }
                image.addStroke(points, width: 0.009, amount: 0.04, edge: 0.025)
            }
            // Clavicle.
            image.addStroke([(centre + side * 0.04, 0.2), (centre + side * 0.18, 0.165), (centre + side * 0.33, 0.14)],
                            width: 0.011, amount: 0.12, edge: 0.03)
        }
    }

    /// A chest tube: a radio-opaque tube from outside the body through the lateral wall towards the apex.
    private func drawChestTube(on image: inout PhantomCanvas, using generator: inout DataRandom) {
        let lung = lungs[pneumothorax?.lung ?? Int(generator.uniform(0, 1.999))]
        let entry = (x: lung.centre.x + lung.side * (lung.radii.x + 0.1), y: lung.centre.y + generator.uniform(0.05, 0.25))
        let bendPoint = (x: lung.centre.x + lung.side * lung.radii.x * 0.9, y: lung.centre.y + generator.uniform(-0.05, 0.1))
        let tip = (x: lung.centre.x + lung.side * generator.uniform(0, 0.08), y: lung.centre.y - lung.radii.y * generator.uniform(0.5, 0.85))
        let points = (0...24).map { step -> (x: Float, y: Float) in
            let t = Float(step) / 24, a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t
            return (a * entry.x + b * bendPoint.x + c * tip.x, a * entry.y + b * bendPoint.y + c * tip.y)
        }
        image.addStroke(points, width: 0.0055, amount: 0.22)
        image.addStroke(points, width: 0.0018, amount: -0.1)
    }

    /// An ECG electrode (a bright ring) with its wire running off the image.
    private func drawECGLead(on image: inout PhantomCanvas, using generator: inout DataRandom) {
        let centre = (x: generator.uniform(0.15, 0.85), y: generator.uniform(0.12, 0.5))
        image.addEllipse(centre: centre, radii: (0.014, 0.014), amount: 0.3, softness: 0.002)
        image.addEllipse(centre: centre, radii: (0.008, 0.008), amount: -0.2, softness: 0.002)
        let exit = (x: centre.x < 0.5 ? Float(0) : 1, y: generator.uniform(0, 0.6))
        let control = (x: generator.uniform(0.2, 0.8), y: generator.uniform(0.05, 0.6))
        let wire = (0...20).map { step -> (x: Float, y: Float) in
            let t = Float(step) / 20, a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t
            return (a * centre.x + b * control.x + c * exit.x, a * centre.y + b * control.y + c * exit.y)
        }
        image.addStroke(wire, width: 0.0016, amount: 0.2)
    }
}
