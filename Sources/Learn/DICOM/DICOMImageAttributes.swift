/// The image pixel module of a file (PS3.3 C.7.6.3), checked for consistency.
public struct DICOMImageAttributes: Equatable, Sendable {
    /// Rows (0028,0010).
    public let rows: Int
    /// Columns (0028,0011).
    public let columns: Int
    /// Samples per Pixel (0028,0002): 1, or 3 for colour JPEG.
    public let samplesPerPixel: Int
    /// Bits Allocated (0028,0100): 8 or 16.
    public let bitsAllocated: Int
    /// Bits Stored (0028,0101).
    public let bitsStored: Int
    /// Pixel Representation (0028,0103) is 1: two's complement samples.
    public let isSigned: Bool
    /// Photometric Interpretation (0028,0004).
    public let photometric: String
    /// Rescale Slope (0028,1053), 1 when absent.
    public let rescaleSlope: Double
    /// Rescale Intercept (0028,1052), 0 when absent.
    public let rescaleIntercept: Double

    /// The values `bitsStored` bits can hold.
    var storedRange: ClosedRange<Int32> {
        isSigned ? -(1 << (bitsStored - 1))...((1 << (bitsStored - 1)) - 1) : 0...((1 << bitsStored) - 1)
    }

    /// Attributes of a greyscale image to write.
    public init(rows: Int, columns: Int, bitsAllocated: Int = 8, bitsStored: Int? = nil, isSigned: Bool = false,
                photometric: String = "MONOCHROME2", rescaleSlope: Double = 1, rescaleIntercept: Double = 0) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = 1
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored ?? bitsAllocated
        self.isSigned = isSigned
        self.photometric = photometric
        self.rescaleSlope = rescaleSlope
        self.rescaleIntercept = rescaleIntercept
    }

    /// The attributes of `file`.
    /// - Throws: `DICOMError` when one is missing, out of range or unsupported.
    public init(_ file: DICOMFile) throws(DICOMError) {
        func required(_ tag: DICOMTag, _ name: String) throws(DICOMError) -> Int {
            guard let value = file.unsignedShort(tag) else { throw .malformed("missing \(name) \(tag)") }
            return value
        }
        rows = try required(.rows, "Rows")
        columns = try required(.columns, "Columns")
        guard rows > 0, columns > 0 else { throw .malformed("an image of \(columns)x\(rows) pixels") }
        samplesPerPixel = file.unsignedShort(.samplesPerPixel) ?? 1
        bitsAllocated = try required(.bitsAllocated, "Bits Allocated")
        bitsStored = file.unsignedShort(.bitsStored) ?? bitsAllocated
        guard bitsAllocated == 8 || bitsAllocated == 16 else { throw .unsupported("Bits Allocated \(bitsAllocated) (8 and 16 are read)") }
        guard (1...bitsAllocated).contains(bitsStored) else { throw .malformed("Bits Stored \(bitsStored) with Bits Allocated \(bitsAllocated)") }
        isSigned = (file.unsignedShort(.pixelRepresentation) ?? 0) == 1
        photometric = file.string(.photometricInterpretation) ?? (samplesPerPixel == 1 ? "MONOCHROME2" : "RGB")
        let readable = samplesPerPixel == 1 ? ["MONOCHROME1", "MONOCHROME2"] : ["RGB", "YBR_FULL", "YBR_FULL_422"]
        guard readable.contains(photometric), samplesPerPixel == 1 || samplesPerPixel == 3 else {
            throw .unsupported("Photometric Interpretation \(photometric) with \(samplesPerPixel) samples per pixel")
        }
        rescaleSlope = try file.number(.rescaleSlope) ?? 1
        rescaleIntercept = try file.number(.rescaleIntercept) ?? 0
    }
}
