/// The first frame of a DICOM file's pixel data as brightness values: MONOCHROME1 is inverted
/// within the stored range so that bigger is always brighter (the MONOCHROME2 convention), then
/// the modality rescale (slope, intercept) is applied.
public struct DICOMImage: Equatable, Sendable {
    /// Pixels per row.
    public let columns: Int
    /// Rows.
    public let rows: Int
    /// `rows * columns` values, row-major.
    public let pixels: [Float]
    /// The image attributes the pixels were decoded with.
    public let attributes: DICOMImageAttributes

    /// Native frames larger than this many pixels are refused.
    public static let maximumPixelCount = JPEGDecoder.maximumPixelCount

    /// Decodes the first frame of `file`.
    /// - Throws: `DICOMError` for missing or inconsistent image attributes, unsupported encodings and bad JPEG data.
    public init(_ file: DICOMFile) throws(DICOMError) {
        let attributes = try DICOMImageAttributes(file)
        guard let pixelData = file.pixelData else { throw .malformed("no Pixel Data (7FE0,0010)") }
        var stored: [Int32]
        switch (pixelData, file.transferSyntax) {
        case (.native(let range), .implicitLittleEndian), (.native(let range), .explicitLittleEndian):
            stored = try Self.nativeSamples(file.bytes[range], attributes)
        case (.encapsulated, .jpegBaseline):
            let frame = try Self.firstFrame(of: file)
            let image: JPEGImage
            do { image = try JPEGDecoder.decode(frame) } catch { throw .jpeg(error) }
            guard image.width == attributes.columns, image.height == attributes.rows else {
                throw .malformed("the JPEG frame is \(image.width)x\(image.height), the header says \(attributes.columns)x\(attributes.rows)")
            }
            guard attributes.bitsAllocated == 8 else { throw .malformed("JPEG baseline pixel data with Bits Allocated \(attributes.bitsAllocated)") }
            stored = image.luminance.map { Int32($0) }
        case (.native, .jpegBaseline):
            throw .malformed("native pixel data under the JPEG baseline transfer syntax")
        case (.encapsulated, _):
            throw .malformed("encapsulated pixel data under \(file.transferSyntax.name)")
        }
        if attributes.photometric == "MONOCHROME1" {
            let sum = attributes.storedRange.lowerBound + attributes.storedRange.upperBound
            for index in stored.indices { stored[index] = sum - stored[index] }
        }
        let slope = Float(attributes.rescaleSlope), intercept = Float(attributes.rescaleIntercept)
        self.attributes = attributes
        columns = attributes.columns
        rows = attributes.rows
        pixels = stored.map { Float($0) * slope + intercept }
    }

    /// The stored values of native pixel data: `bitsStored` low bits, sign-extended when signed.
    private static func nativeSamples(_ bytes: ArraySlice<UInt8>, _ attributes: DICOMImageAttributes) throws(DICOMError) -> [Int32] {
        guard attributes.samplesPerPixel == 1 else { throw .unsupported("native colour pixel data (\(attributes.samplesPerPixel) samples per pixel)") }
        let count = attributes.rows * attributes.columns
        guard count <= maximumPixelCount else { throw .unsupported("\(attributes.columns)x\(attributes.rows) exceeds \(maximumPixelCount) pixels") }
        let bytesPerSample = attributes.bitsAllocated / 8
        guard bytes.count >= count * bytesPerSample else {
            throw .truncated("\(attributes.columns)x\(attributes.rows) pixels of \(attributes.bitsAllocated) bits need \(count * bytesPerSample) bytes, Pixel Data holds \(bytes.count)")
        }
        let bits = Int32(attributes.bitsStored)
        let mask = Int32((1 << attributes.bitsStored) - 1)
        let start = bytes.startIndex
        return (0..<count).map { index in
            var value = bytesPerSample == 1 ? Int32(bytes[start + index])
                : Int32(bytes[start + 2 * index]) | Int32(bytes[start + 2 * index + 1]) << 8
            value &= mask
            if attributes.isSigned, value & (1 << (bits - 1)) != 0 { value -= 1 << bits }
            return value
        }
    }

    /// The bytes of the first frame of encapsulated pixel data, joining its fragments. Frames are
    /// delimited by the extended offset table if present, else the basic offset table, else one
    /// fragment per frame (several frames) or all fragments (one frame).
    static func firstFrame(of file: DICOMFile) throws(DICOMError) -> [UInt8] {
        guard case .encapsulated(let basicOffsets, let fragments) = file.pixelData else { throw .malformed("pixel data is not encapsulated") }
        let frameCount = try file.number(.numberOfFrames).map { Int($0) } ?? 1
        let starts: [UInt64]
        if let extended = file.unsignedLongs(.extendedOffsetTable), !extended.isEmpty {
            starts = extended
        } else if !basicOffsets.isEmpty {
            starts = basicOffsets
        } else if frameCount > 1 {
            guard fragments.count == frameCount else {
                throw .malformed("\(frameCount) frames in \(fragments.count) fragments without an offset table")
            }
            starts = fragments.map(\.itemOffset)
        } else {
            starts = [0]
        }
        guard starts[0] == 0, zip(starts, starts.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw .malformed("offset table \(starts.prefix(4)) does not start at 0 and increase")
        }
        let end = starts.count > 1 ? starts[1] : UInt64.max
        let frame = fragments.filter { $0.itemOffset < end }.flatMap { file.bytes[$0.range] }
        guard !frame.isEmpty else { throw .malformed("the first frame has no data") }
        return frame
    }
}
