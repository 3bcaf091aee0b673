import Foundation
import Testing
@testable import Learn

/// DICOM files: the real SIIM-ACR fixture, every supported syntax through the writer, hostile files.
@Suite struct DICOMTests {
    // MARK: - The SIIM-ACR fixture

    /// Figures of the fixture's pixels as decoded by Pillow (libjpeg) in .venv: FNV-1a 64 of the
    /// 8-bit pixels, their sum, and a few pixels (row, column, value).
    static let fixtureHash: UInt64 = 0x1EC0_2445_8B00_E27D
    static let fixtureSum = 168_189_534
    static let fixturePixels = [(0, 0, 0), (512, 512, 208), (100, 700, 117), (1023, 1023, 0), (300, 200, 195), (777, 333, 212)]

    @Test func siimFixtureDecodesExactlyAsLibjpeg() throws {
        let file = try DICOMFile(contentsOf: SharedFixtures.siimDICOM)
        #expect(file.transferSyntax == .jpegBaseline)
        #expect(file.string(.patientSex) == "M" && file.string(.patientAge) == "62" && file.string(.viewPosition) == "PA")
        let image = try DICOMImage(file)
        #expect(image.rows == 1024 && image.columns == 1024)
        #expect(image.attributes.bitsAllocated == 8 && image.attributes.bitsStored == 8 && image.attributes.photometric == "MONOCHROME2")
        let bytes = image.pixels.map { UInt8($0) }
        let hash = bytes.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
        #expect(hash == Self.fixtureHash)
        #expect(bytes.reduce(0) { $0 + Int($1) } == Self.fixtureSum)
        for (row, column, value) in Self.fixturePixels { #expect(bytes[row * 1024 + column] == UInt8(value)) }
    }

    // MARK: - Round trips

    static let patient: [DICOMWriter.Element] = [
        DICOMWriter.Element(.patientSex, "CS", "F"), DICOMWriter.Element(.patientAge, "AS", "041Y"),
        DICOMWriter.Element(.viewPosition, "CS", "AP"),
        // A nested sequence the reader must skip, with an item inside an item.
        DICOMWriter.Element(sequence: DICOMTag(0x0008, 0x1140), items: [
            [DICOMWriter.Element(DICOMTag(0x0008, 0x1150), "UI", "1.2.3"),
             DICOMWriter.Element(sequence: DICOMTag(0x0040, 0xA730), items: [[DICOMWriter.Element(DICOMTag(0x0040, 0xA040), "CS", "TEXT")], []])],
            [],
        ]),
    ]

    static func samples(_ count: Int, range: ClosedRange<Int32>) -> [Int32] {
        let span = Int(range.upperBound) - Int(range.lowerBound) + 1
        return (0..<count).map { index -> Int32 in
            let step: Int = (index * 7919 + (index / 13) * 31) % span
            return range.lowerBound + Int32(step)
        }
    }

    @Test(arguments: [DICOMTransferSyntax.implicitLittleEndian, .explicitLittleEndian], [true, false])
    func nativeSixteenBitSignedMonochrome1WithRescaleRoundTrips(syntax: DICOMTransferSyntax, undefinedLengths: Bool) throws {
        let attributes = DICOMImageAttributes(rows: 7, columns: 5, bitsAllocated: 16, bitsStored: 12, isSigned: true,
                                              photometric: "MONOCHROME1", rescaleSlope: 0.5, rescaleIntercept: -100)
        let stored = Self.samples(35, range: -2048...2047)
        var writer = DICOMWriter(transferSyntax: syntax)
        writer.elements = Self.patient
        writer.undefinedLengthSequences = undefinedLengths
        let file = try DICOMFile(bytes: writer.encode(pixels: stored, attributes: attributes))
        #expect(file.transferSyntax == syntax)
        #expect(file.string(.patientSex) == "F" && file.string(.patientAge) == "041Y" && file.string(.viewPosition) == "AP")
        let image = try DICOMImage(file)
        #expect(image.attributes == attributes)
        // MONOCHROME1 inverts within -2048...2047, then the rescale applies.
        #expect(image.pixels == stored.map { Float(-1 - $0) * 0.5 - 100 })
    }

    @Test func nativeEightBitRoundTrips() throws {
        let attributes = DICOMImageAttributes(rows: 3, columns: 3)
        let stored = Self.samples(9, range: 0...255)
        let file = try DICOMFile(bytes: DICOMWriter(transferSyntax: .explicitLittleEndian).encode(pixels: stored, attributes: attributes))
        #expect(try DICOMImage(file).pixels == stored.map(Float.init))
    }

    @Test(arguments: [(DICOMWriter.OffsetTable.emptyBasic, 1, 0), (.basic, 3, 2), (.extended, 4, 0), (.emptyBasic, 5, 1)])
    func jpegBaselineRoundTripsAcrossFragmentsAndOffsetTables(table: DICOMWriter.OffsetTable, fragments: Int, restart: Int) throws {
        let attributes = DICOMImageAttributes(rows: 40, columns: 52)
        let stored = (0..<(40 * 52)).map { index -> Int32 in
            let column: Int = index % 52, row: Int = index / 52
            return Int32(60 + column * 2 + row)
        }
        var writer = DICOMWriter(transferSyntax: .jpegBaseline)
        writer.elements = Self.patient
        writer.jpegQuality = 100
        writer.fragmentCount = fragments
        writer.offsetTable = table
        writer.restartInterval = restart
        let image = try DICOMImage(try DICOMFile(bytes: writer.encode(pixels: stored, attributes: attributes)))
        #expect(image.rows == 40 && image.columns == 52)
        let worst = zip(image.pixels, stored).map { abs($0 - Float($1)) }.max() ?? 0
        #expect(worst <= 2)
    }

    // MARK: - Hostile and unsupported files

    static let validFile: [UInt8] = {
        var writer = DICOMWriter(transferSyntax: .jpegBaseline)
        writer.elements = patient
        return writer.encode(pixels: samples(16 * 16, range: 0...255), attributes: DICOMImageAttributes(rows: 16, columns: 16))
    }()

    @Test func everyTruncationIsAnError() {
        // Cutting the file anywhere before its end must give an error, never a crash or a partial image.
        for length in stride(from: 0, to: Self.validFile.count - 1, by: 3) {
            #expect(throws: (any Error).self) { try DICOMImage(try DICOMFile(bytes: Array(Self.validFile[0..<length]))) }
        }
    }

    @Test func lengthsPastTheEndAndHugeImagesAreRefused() throws {
        // Native 65535 x 65535 pixels declared over 8 bytes of pixel data.
        var writer = DICOMWriter(transferSyntax: .explicitLittleEndian)
        writer.elements = []
        var bytes = writer.encode(pixels: [Int32](repeating: 1, count: 4), attributes: DICOMImageAttributes(rows: 2, columns: 2, bitsAllocated: 16))
        let rowsTag: [UInt8] = [0x28, 0x00, 0x10, 0x00, 0x55, 0x53, 0x02, 0x00]
        let rows = try #require((0..<(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == rowsTag })
        bytes[rows + 8] = 0xFF; bytes[rows + 9] = 0xFF; bytes[rows + 18] = 0xFF; bytes[rows + 19] = 0xFF
        #expect(throws: (any Error).self) { try DICOMImage(try DICOMFile(bytes: bytes)) }
        // An element declaring 4 GB.
        var long = Self.validFile
        let sex = try #require((0..<(long.count - 6)).first { Array(long[$0..<($0 + 6)]) == [0x10, 0x00, 0x40, 0x00, 0x43, 0x53] })
        long[sex + 6] = 0xF0; long[sex + 7] = 0xFF
        #expect { try DICOMFile(bytes: long) } throws: { error in
            guard case .truncated(let reason) = error as? DICOMError else { return false }
            return reason.contains("(0010,0040)")
        }
    }

    @Test func deeplyNestedSequencesAreRefused() throws {
        var element = DICOMWriter.Element(DICOMTag(0x0040, 0xA040), "CS", "X")
        for _ in 0..<40 { element = DICOMWriter.Element(sequence: DICOMTag(0x0040, 0xA730), items: [[element]]) }
        var writer = DICOMWriter(transferSyntax: .explicitLittleEndian)
        writer.elements = [element]
        let bytes = writer.encode(pixels: [1, 2, 3, 4], attributes: DICOMImageAttributes(rows: 2, columns: 2))
        #expect { try DICOMFile(bytes: bytes) } throws: { error in
            guard case .malformed(let reason) = error as? DICOMError else { return false }
            return reason.contains("nested")
        }
    }

    @Test func unsupportedTransferSyntaxesAreNamed() throws {
        let bytes = DICOMWriter(transferSyntax: .explicitLittleEndian).encode(pixels: [1, 2, 3, 4], attributes: DICOMImageAttributes(rows: 2, columns: 2))
        let uid = Array(DICOMTransferSyntax.explicitLittleEndian.rawValue.utf8)
        let at = try #require((0..<(bytes.count - uid.count)).first { Array(bytes[$0..<($0 + uid.count)]) == uid })
        var lossless = bytes
        // 1.2.840.10008.1.2.1 -> 1.2.840.10008.1.2.5 (RLE Lossless), same length.
        lossless[at + uid.count - 1] = UInt8(ascii: "5")
        #expect { try DICOMFile(bytes: lossless) } throws: { error in
            (error as? DICOMError) == .unsupportedTransferSyntax(uid: "1.2.840.10008.1.2.5", name: "RLE Lossless")
        }
        var noMagic = bytes
        noMagic[128] = UInt8(ascii: "X")
        #expect(throws: DICOMError.notPart10) { try DICOMFile(bytes: noMagic) }
    }
}
