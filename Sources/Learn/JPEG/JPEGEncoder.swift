/// Encodes 8-bit images as baseline JPEG (process 1): one or three components without
/// subsampling, the annex K luminance quantization table scaled by a quality factor as the IJG
/// libjpeg scales it, Huffman tables optimised for the image, optional restart intervals.
public enum JPEGEncoder {
    /// The baseline JPEG stream of `image`.
    /// - Parameters:
    ///   - image: One plane (greyscale) or three (encoded as they are, with the same tables).
    ///   - quality: 1...100; 50 is annex K's table, 100 all ones.
    ///   - restartInterval: MCUs between restart markers, 0 for none.
    /// - Returns: the JPEG stream from SOI to EOI.
    public static func encode(_ image: JPEGImage, quality: Int = 90, restartInterval: Int = 0) -> [UInt8] {
        precondition((1...100).contains(quality) && (0...65_535).contains(restartInterval))
        precondition(image.planes.count == 1 || image.planes.count == 3, "1 or 3 components")
        precondition(image.width <= 65_535 && image.height <= 65_535)
        let quantizer = quantizationTable(quality: quality)
        let coefficients = image.planes.map { JPEGForwardDCT.quantizedBlocks(of: $0, width: image.width, height: image.height, quantizer: quantizer) }
        let blockCount = coefficients[0].count / 64
        let mcuOrder = JPEGMCUStream(coefficients: coefficients, blockCount: blockCount, restartInterval: restartInterval)
        var dcFrequencies = [Int](repeating: 0, count: 256), acFrequencies = [Int](repeating: 0, count: 256)
        mcuOrder.forEachSymbol { symbol, isDC, _, _ in
            guard symbol >= 0 else { return }
            if isDC { dcFrequencies[symbol] += 1 } else { acFrequencies[symbol] += 1 }
        }
        let dcTable = JPEGHuffmanCodeLengths.table(for: dcFrequencies)
        let acTable = JPEGHuffmanCodeLengths.table(for: acFrequencies)

        var output: [UInt8] = [0xFF, 0xD8]
        var quantization: [UInt8] = [0x00]
        quantization += JPEGZigZag.naturalIndex.map { UInt8(quantizer[$0]) }
        appendSegment(0xDB, quantization, to: &output)
        var frame: [UInt8] = [8, UInt8(image.height >> 8), UInt8(image.height & 0xFF), UInt8(image.width >> 8), UInt8(image.width & 0xFF),
                              UInt8(image.planes.count)]
        for index in image.planes.indices { frame += [UInt8(index + 1), 0x11, 0] }
        appendSegment(0xC0, frame, to: &output)
        appendSegment(0xC4, [0x00] + dcTable.counts.map(UInt8.init) + dcTable.symbols + [0x10] + acTable.counts.map(UInt8.init) + acTable.symbols, to: &output)
        if restartInterval > 0 { appendSegment(0xDD, [UInt8(restartInterval >> 8), UInt8(restartInterval & 0xFF)], to: &output) }
        var scan: [UInt8] = [UInt8(image.planes.count)]
        for index in image.planes.indices { scan += [UInt8(index + 1), 0x00] }
        scan += [0, 63, 0]
        appendSegment(0xDA, scan, to: &output)

        var writer = JPEGBitWriter()
        var restarts = 0
        mcuOrder.forEachSymbol { symbol, isDC, extraBits, extraCount in
            if symbol < 0 {
                writer.restart(marker: 0xD0 + restarts % 8)
                restarts += 1
                return
            }
            let code = (isDC ? dcTable : acTable).codes[symbol]
            writer.write(code.code, count: code.length)
            writer.write(extraBits, count: extraCount)
        }
        writer.flush()
        output += writer.bytes
        output += [0xFF, 0xD9]
        return output
    }

    /// Annex K.1's luminance table scaled like the IJG libjpeg: 5000 / q percent below 50, 200 - 2q above.
    static func quantizationTable(quality: Int) -> [Int32] {
        let base: [Int32] = [
            16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
            14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
            18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
            49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
        ]
        let scale = Int32(quality < 50 ? 5000 / quality : 200 - 2 * quality)
        return base.map { min(255, max(1, ($0 * scale + 50) / 100)) }
    }

    private static func appendSegment(_ marker: UInt8, _ body: [UInt8], to output: inout [UInt8]) {
        output += [0xFF, marker, UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)]
        output += body
    }
}
