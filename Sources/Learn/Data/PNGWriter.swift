/// Writes 8-bit greyscale PNG files with stored (uncompressed) deflate blocks: large but simple,
/// for looking at decoded or generated images.
public enum PNGWriter {
    /// The PNG encoding of a `width` x `height` greyscale image (`samples` row-major).
    public static func encode(width: Int, height: Int, samples: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0 && samples.count == width * height, "need width * height samples")
        var output: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, 0, 0, 0, 0]  // 8 bits, greyscale, deflate, adaptive filtering, no interlace
        appendChunk("IHDR", header, to: &output)
        // Each row starts with filter type 0 (none).
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width + 1))
        for row in 0..<height {
            raw.append(0)
            raw += samples[(row * width)..<((row + 1) * width)]
        }
        appendChunk("IDAT", zlibStored(raw), to: &output)
        appendChunk("IEND", [], to: &output)
        return output
    }

    /// Maps `pixels` linearly from their minimum (black) to their maximum (white) onto 0...255.
    public static func windowed(_ pixels: [Float]) -> [UInt8] {
        guard let low = pixels.min(), let high = pixels.max(), high > low else { return pixels.map { _ in 0 } }
        let scale = 255 / (high - low)
        return pixels.map { UInt8(((($0 - low) * scale)).rounded()) }
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to output: inout [UInt8]) {
        output.appendBigEndian(UInt32(data.count))
        let body = Array(type.utf8) + data
        output += body
        output.appendBigEndian(CRC32.checksum(body))
    }

    /// A zlib stream of stored deflate blocks (at most 65,535 bytes each).
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var stream: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let isLast = offset + length == data.count
            stream.append(isLast ? 1 : 0)
            stream += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            stream += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        stream.appendBigEndian(b << 16 | a)
        return stream
    }
}

/// The CRC-32 of ISO 3309 / ITU-T V.42 (polynomial 0xEDB88320, reflected), as PNG uses.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crc, byte in table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}
