import Testing
@testable import Learn

/// train-rle.csv and its quirks, on hand-written files.
@Suite struct SIIMLabelsTests {
    static let csv = """
    ImageId, EncodedPixels\r
    neg-a, -1\r
    neg-b,-1 \r
    pos-one, 5 3\r
    pos-two, 1 2 3 1\r
    pos-two, 20 2\r
    \r
    mixed, -1\r
    mixed, 0 1\r

    """

    @Test func countsImagesPositivesRowsAndMultipleMasks() throws {
        let labels = try SIIMLabels(text: Self.csv)
        #expect(labels.rows.count == 7)
        #expect(labels.imageIDs == ["neg-a", "neg-b", "pos-one", "pos-two", "mixed"])
        #expect(labels.positiveImageCount == 3)
        #expect(labels.multipleMaskImageCount == 1)
        #expect(labels.isPositive("neg-b") == false && labels.isPositive("mixed") == true && labels.isPositive("absent") == nil)
    }

    @Test func relativeStartsNumberPixelsColumnByColumn() throws {
        let labels = try SIIMLabels(text: Self.csv)
        #expect(try labels.encoding(width: 4, height: 6) == .relative)
        // 4 wide, 6 high: pixel p is row p % 6, column p / 6. "5 3" covers pixels 5, 6, 7.
        let mask = labels.mask(for: "pos-one", width: 4, height: 6, encoding: .relative)
        let set = (0..<24).filter { mask[$0] != 0 }.map { ($0 / 4, $0 % 4) }
        #expect(set.map(\.0) == [0, 1, 5] && set.map(\.1) == [1, 1, 0])
        // Two rows of one image: "1 2 3 1" is pixels 1, 2 and 6; "20 2" pixels 20, 21.
        let union = labels.mask(for: "pos-two", width: 4, height: 6, encoding: .relative)
        #expect(union.filter { $0 != 0 }.count == 5)
        #expect(union[(20 % 6) * 4 + 20 / 6] == 255 && union[(6 % 6) * 4 + 1] == 255)
    }

    @Test func absoluteStartsAreDetectedWhenRelativeOnesLeaveTheImage() throws {
        // Absolute 1-based starts 10 and 20: read as relative, the second run would end at 10+2+20+3 > 24.
        let labels = try SIIMLabels(text: "ImageId,EncodedPixels\nx, 10 2 20 3\ny,-1\n")
        #expect(try labels.encoding(width: 4, height: 6) == .absolute)
        let mask = labels.mask(for: "x", width: 4, height: 6, encoding: .absolute)
        let pixels = (0..<24).filter { mask[($0 % 6) * 4 + $0 / 6] != 0 }
        #expect(pixels == [9, 10, 19, 20, 21])
        #expect(throws: SIIMLabels.Malformed.self) { try SIIMLabels(text: "ImageId,EncodedPixels\nx, 30 2\n").encoding(width: 4, height: 6) }
    }

    @Test func relativeEncodingRoundTrips() throws {
        var mask = [UInt8](repeating: 0, count: 7 * 5)
        for index in [0, 1, 8, 9, 10, 34, 20] { mask[index] = 255 }
        let rle = SIIMLabels.relativeRLE(mask, width: 7, height: 5)
        let labels = try SIIMLabels(text: "ImageId, EncodedPixels\nm, \(rle)\n")
        #expect(labels.mask(for: "m", width: 7, height: 5, encoding: .relative) == mask)
        #expect(SIIMLabels.relativeRLE([UInt8](repeating: 0, count: 6), width: 3, height: 2) == "-1")
    }

    @Test(arguments: [
        ("Image,Pixels\na,-1\n", 1, "header"),
        ("ImageId, EncodedPixels\na, 1 2 3\n", 2, "pairs"),
        ("ImageId, EncodedPixels\na, 1 x\n", 2, "'x'"),
        ("ImageId, EncodedPixels\nno-comma\n", 2, "two fields"),
        ("", 1, "empty"),
    ])
    func malformedFilesNameTheLine(text: String, line: Int, phrase: String) {
        #expect { try SIIMLabels(text: text, path: "labels.csv") } throws: { error in
            guard let malformed = error as? SIIMLabels.Malformed else { return false }
            return malformed.line == line && malformed.description.contains(phrase) && malformed.description.hasPrefix("labels.csv:")
        }
    }
}
