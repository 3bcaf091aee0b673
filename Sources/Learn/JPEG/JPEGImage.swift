/// A decoded 8-bit JPEG image: one plane per component, each `width * height` samples, row-major.
public struct JPEGImage: Equatable, Sendable {
    /// Samples per line.
    public let width: Int
    /// Lines.
    public let height: Int
    /// The component planes in frame order: one for greyscale, three (Y, Cb, Cr or R, G, B) for colour.
    public let planes: [[UInt8]]
    /// True when an Adobe APP14 segment declares the three components as untransformed R, G, B.
    public let isRGB: Bool

    /// A decoded image of `planes`, each `width * height` samples.
    public init(width: Int, height: Int, planes: [[UInt8]], isRGB: Bool = false) {
        precondition(!planes.isEmpty && planes.allSatisfy { $0.count == width * height }, "each plane needs width * height samples")
        self.width = width
        self.height = height
        self.planes = planes
        self.isRGB = isRGB
    }

    /// The brightness of each pixel: the only plane of a greyscale image, the Y plane of a YCbCr
    /// image, or BT.601 luma (0.299 R + 0.587 G + 0.114 B, rounded) of an RGB image.
    public var luminance: [UInt8] {
        guard planes.count == 3, isRGB else { return planes[0] }
        return (0..<(width * height)).map { index in
            let luma = 0.299 * Float(planes[0][index]) + 0.587 * Float(planes[1][index]) + 0.114 * Float(planes[2][index])
            return UInt8(min(255, max(0, luma.rounded())))
        }
    }
}
