/// Decodes baseline (and 8-bit extended sequential Huffman) JPEG streams: greyscale with any
/// sampling factors, or several components without subsampling (4:4:4); one or more scans;
/// restart intervals. Progressive, lossless, arithmetic-coded and 12-bit streams are refused
/// with the process named. Every size is checked against the stream before memory is taken.
public enum JPEGDecoder {
    /// Frames with more pixels than this are refused.
    public static let maximumPixelCount = 1 << 26

    private struct Component {
        let identifier: UInt8
        let quantizationTable: Int
        var dcTable = 0
        var acTable = 0
        var decoded = false
    }

    /// Decodes the JPEG stream `bytes`.
    /// - Throws: `JPEGError` naming what is truncated, malformed or unsupported.
    public static func decode(_ bytes: [UInt8]) throws(JPEGError) -> JPEGImage {
        do {
            return try bytes.withUnsafeBufferPointer { buffer in try decode(buffer) }
        } catch let error as JPEGError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(JPEGError) -> JPEGImage {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw .malformed("no start-of-image marker (FF D8) at the beginning")
        }
        var quantization = [[Int32]?](repeating: nil, count: 4)
        var dcTables = [JPEGHuffmanTable?](repeating: nil, count: 4)
        var acTables = [JPEGHuffmanTable?](repeating: nil, count: 4)
        var components: [Component] = []
        var samples: [UInt8] = []
        var width = 0, height = 0, paddedWidth = 0, paddedHeight = 0
        var restartInterval = 0
        var isRGB = false
        var position = 2
        while true {
            // Fill bytes may precede any marker.
            while position < bytes.count, bytes[position] == 0xFF, position + 1 < bytes.count, bytes[position + 1] == 0xFF { position += 1 }
            guard position + 1 < bytes.count else { throw .truncated("no end-of-image marker") }
            guard bytes[position] == 0xFF else { throw .malformed("expected a marker at byte \(position), found \(bytes[position])") }
            let marker = bytes[position + 1]
            position += 2
            if marker == 0xD9 { break }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { continue }
            guard position + 2 <= bytes.count else { throw .truncated("marker FF \(hex(marker)) without its length") }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            guard length >= 2, position + length <= bytes.count else {
                throw .truncated("segment FF \(hex(marker)) declares \(length) bytes, \(bytes.count - position) remain")
            }
            let segment = UnsafeBufferPointer(rebasing: bytes[(position + 2)..<(position + length)])
            position += length
            switch marker {
            case 0xDB:
                try readQuantizationTables(segment, into: &quantization)
            case 0xC4:
                try readHuffmanTables(segment, dc: &dcTables, ac: &acTables)
            case 0xDD:
                guard segment.count == 2 else { throw .malformed("DRI segment of \(segment.count) bytes") }
                restartInterval = Int(segment[0]) << 8 | Int(segment[1])
            case 0xEE:
                // Adobe APP14: transform flag 0 means the components are R, G, B.
                if segment.count >= 12, Array(segment[0..<5]) == Array("Adobe".utf8) { isRGB = segment[11] == 0 }
            case 0xC0, 0xC1:
                guard components.isEmpty else { throw .malformed("a second frame header") }
                guard segment.count >= 6 else { throw .malformed("SOF segment of \(segment.count) bytes") }
                guard segment[0] == 8 else { throw .unsupported("\(segment[0])-bit samples (only 8-bit is decoded)") }
                height = Int(segment[1]) << 8 | Int(segment[2])
                width = Int(segment[3]) << 8 | Int(segment[4])
                let count = Int(segment[5])
                guard width > 0, height > 0 else { throw .malformed("frame of \(width)x\(height) (a zero height needs DNL, not supported)") }
                guard width * height <= maximumPixelCount else { throw .unsupported("frame of \(width)x\(height) exceeds \(maximumPixelCount) pixels") }
                guard count == 1 || count == 3, segment.count == 6 + 3 * count else {
                    throw .unsupported("\(count) components (1 or 3 are decoded)")
                }
                paddedWidth = (width + 7) / 8 * 8
                paddedHeight = (height + 7) / 8 * 8
                // Every block costs at least two bits of entropy-coded data: refuse frames the stream cannot hold.
                guard paddedWidth / 8 * paddedHeight / 8 * count <= 4 * bytes.count else {
                    throw .malformed("frame of \(width)x\(height) cannot fit in \(bytes.count) bytes")
                }
                for index in 0..<count {
                    let base = 6 + 3 * index
                    let sampling = segment[base + 1]
                    guard count == 1 || sampling == 0x11 else {
                        throw .unsupported("chroma subsampling (component \(index + 1) sampled \(sampling >> 4)x\(sampling & 15)); only 4:4:4 is decoded")
                    }
                    guard segment[base + 2] < 4 else { throw .malformed("quantization table \(segment[base + 2])") }
                    components.append(Component(identifier: segment[base], quantizationTable: Int(segment[base + 2])))
                }
                samples = [UInt8](repeating: 0, count: count * paddedWidth * paddedHeight)
            case 0xC2, 0xC6, 0xCA, 0xCE: throw .unsupported("progressive JPEG (SOF\(marker - 0xC0))")
            case 0xC3, 0xC7, 0xCB, 0xCF: throw .unsupported("lossless JPEG (SOF\(marker - 0xC0))")
            case 0xC5, 0xC9, 0xCD: throw .unsupported("hierarchical or arithmetic-coded JPEG (SOF\(marker - 0xC0))")
            case 0xDA:
                guard !components.isEmpty else { throw .malformed("scan before the frame header") }
                let scan = try readScanHeader(segment, components: &components, dc: dcTables, ac: acTables)
                var reader = JPEGBitReader(bytes, position: position)
                try samples.withUnsafeMutableBufferPointer { planes throws(JPEGError) in
                    try decodeScan(&reader, scan: scan, components: &components, planes: planes.baseAddress!, quantization: quantization,
                                   dc: dcTables, ac: acTables, blocksPerLine: paddedWidth / 8, blockLines: paddedHeight / 8,
                                   restartInterval: restartInterval)
                }
                position = reader.endOfScan()
            default:
                // APPn, COM and the like carry nothing the decoder needs.
                guard (0xE0...0xEF).contains(marker) || marker == 0xFE || marker == 0xDC || marker == 0xDE || marker == 0xDF else {
                    throw .malformed("unexpected marker FF \(hex(marker))")
                }
            }
        }
        guard !components.isEmpty else { throw .malformed("no frame header before the end of the image") }
        guard components.allSatisfy(\.decoded) else { throw .truncated("a component has no scan") }
        let planeSize = paddedWidth * paddedHeight
        let planes = components.indices.map { index in
            let base = index * planeSize
            return paddedWidth == width && paddedHeight == height ? Array(samples[base..<(base + planeSize)])
                : (0..<height).flatMap { row in samples[(base + row * paddedWidth)..<(base + row * paddedWidth + width)] }
        }
        return JPEGImage(width: width, height: height, planes: planes, isRGB: isRGB)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    // MARK: - Tables

    private static func readQuantizationTables(_ segment: UnsafeBufferPointer<UInt8>, into tables: inout [[Int32]?]) throws(JPEGError) {
        var offset = 0
        while offset < segment.count {
            let precision = Int(segment[offset] >> 4), slot = Int(segment[offset] & 15)
            guard precision <= 1, slot < 4 else { throw .malformed("DQT precision \(precision), table \(slot)") }
            let size = precision == 0 ? 64 : 128
            guard offset + 1 + size <= segment.count else { throw .truncated("DQT table \(slot) cut short") }
            var table = [Int32](repeating: 0, count: 64)
            for k in 0..<64 {
                let value = precision == 0 ? Int32(segment[offset + 1 + k])
                    : Int32(segment[offset + 1 + 2 * k]) << 8 | Int32(segment[offset + 2 + 2 * k])
                table[JPEGZigZag.naturalIndex[k]] = value
            }
            tables[slot] = table
            offset += 1 + size
        }
    }

    private static func readHuffmanTables(_ segment: UnsafeBufferPointer<UInt8>, dc: inout [JPEGHuffmanTable?],
                                          ac: inout [JPEGHuffmanTable?]) throws(JPEGError) {
        var offset = 0
        while offset < segment.count {
            guard offset + 17 <= segment.count else { throw .truncated("DHT table header cut short") }
            let kind = segment[offset] >> 4, slot = Int(segment[offset] & 15)
            guard kind <= 1, slot < 4 else { throw .malformed("DHT class \(kind), table \(slot)") }
            let counts = (1...16).map { Int(segment[offset + $0]) }
            let total = counts.reduce(0, +)
            guard offset + 17 + total <= segment.count else { throw .truncated("DHT table symbols cut short") }
            let table = try JPEGHuffmanTable(counts: counts, symbols: Array(segment[(offset + 17)..<(offset + 17 + total)]))
            if kind == 0 { dc[slot] = table } else { ac[slot] = table }
            offset += 17 + total
        }
    }

    // MARK: - Scans

    private static func readScanHeader(_ segment: UnsafeBufferPointer<UInt8>, components: inout [Component],
                                       dc: [JPEGHuffmanTable?], ac: [JPEGHuffmanTable?]) throws(JPEGError) -> [Int] {
        guard segment.count >= 1 else { throw .malformed("empty SOS segment") }
        let count = Int(segment[0])
        guard count >= 1, count <= components.count, segment.count == 4 + 2 * count else {
            throw .malformed("SOS with \(count) components in \(segment.count) bytes")
        }
        var scan: [Int] = []
        for index in 0..<count {
            let identifier = segment[1 + 2 * index], tables = segment[2 + 2 * index]
            guard let component = components.firstIndex(where: { $0.identifier == identifier }), !scan.contains(component) else {
                throw .malformed("scan names unknown or repeated component \(identifier)")
            }
            guard !components[component].decoded else { throw .malformed("component \(identifier) appears in two scans") }
            let dcSlot = Int(tables >> 4), acSlot = Int(tables & 15)
            guard dcSlot < 4, acSlot < 4, dc[dcSlot] != nil, ac[acSlot] != nil else {
                throw .malformed("scan uses Huffman tables DC \(dcSlot) / AC \(acSlot) that were never defined")
            }
            components[component].dcTable = dcSlot
            components[component].acTable = acSlot
            scan.append(component)
        }
        let spectralStart = segment[1 + 2 * count], spectralEnd = segment[2 + 2 * count], approximation = segment[3 + 2 * count]
        guard spectralStart == 0, spectralEnd == 63, approximation == 0 else {
            throw .unsupported("spectral selection \(spectralStart)...\(spectralEnd) (progressive scan)")
        }
        return scan
    }

    // swiftlint:disable:next function_parameter_count
    private static func decodeScan(_ reader: inout JPEGBitReader, scan: [Int], components: inout [Component],
                                   planes: UnsafeMutablePointer<UInt8>, quantization: [[Int32]?], dc: [JPEGHuffmanTable?],
                                   ac: [JPEGHuffmanTable?], blocksPerLine: Int, blockLines: Int, restartInterval: Int) throws(JPEGError) {
        // Per scan slot: quantizer (64 values), Huffman tables and plane, in memory read without reference counting.
        var quantizers: [Int32] = []
        for component in scan {
            guard let table = quantization[components[component].quantizationTable] else {
                throw .malformed("component \(components[component].identifier) uses a quantization table never defined")
            }
            quantizers += table
        }
        let dcLookups = scan.map { dc[components[$0].dcTable]!.lookup }, acLookups = scan.map { ac[components[$0].acTable]!.lookup }
        let dcTables = dcLookups.map(\.pointers), acTables = acLookups.map(\.pointers)
        let stride = blocksPerLine * 8
        let planeBases = scan.map { planes + $0 * stride * blockLines * 8 }
        var predictors = [Int32](repeating: 0, count: scan.count)
        let block = UnsafeMutablePointer<Int32>.allocate(capacity: 64)
        let natural = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        natural.initialize(from: JPEGZigZag.naturalIndex, count: 64)
        defer {
            block.deallocate()
            natural.deallocate()
        }
        let mcuCount = blocksPerLine * blockLines
        var restartsSeen = 0
        try quantizers.withUnsafeBufferPointer { quantizerBuffer throws(JPEGError) in
            for mcu in 0..<mcuCount {
                if restartInterval > 0, mcu > 0, mcu % restartInterval == 0 {
                    guard reader.consumedPadding == 0 else { throw .truncated("entropy-coded data ends inside restart interval \(restartsSeen)") }
                    try reader.restart(expected: restartsSeen)
                    restartsSeen += 1
                    for slot in predictors.indices { predictors[slot] = 0 }
                }
                let blockRow = mcu / blocksPerLine, blockColumn = mcu % blocksPerLine
                for slot in 0..<scan.count {
                    block.initialize(repeating: 0, count: 64)
                    let quantizer = quantizerBuffer.baseAddress! + slot * 64
                    let category = try reader.symbol(dcTables[slot])
                    guard category <= 15 else { throw .malformed("DC magnitude category \(category)") }
                    predictors[slot] &+= Int32(reader.extended(category))
                    block[0] = predictors[slot] &* quantizer[0]
                    var k = 1
                    while k < 64 {
                        let symbol = try reader.symbol(acTables[slot])
                        let run = symbol >> 4, size = symbol & 15
                        if size == 0 {
                            if run != 15 { break }
                            k += 16
                            continue
                        }
                        k += run
                        guard k < 64 else { throw .malformed("AC coefficients run past the end of a block") }
                        let index = natural[k]
                        block[index] = Int32(reader.extended(size)) &* quantizer[index]
                        k += 1
                    }
                    JPEGInverseDCT.transform(block, into: planeBases[slot] + blockRow * 8 * stride + blockColumn * 8, stride: stride)
                }
            }
        }
        withExtendedLifetime((dcLookups, acLookups)) {}
        guard reader.consumedPadding == 0 else { throw .truncated("entropy-coded data ends before the last block") }
        for component in scan { components[component].decoded = true }
    }
}
