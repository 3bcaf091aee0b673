internal import Foundation

/// Walks the data elements of a Part 10 file, checking every length against the bytes left.
struct DICOMParser {
    /// Sequences nested deeper than this are refused (hostile files).
    static let maximumNesting = 32
    private static let undefinedLength = UInt32.max

    let bytes: [UInt8]
    private(set) var position = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func uint16(at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private func uint32(at offset: Int) -> UInt32 {
        UInt32(uint16(at: offset)) | UInt32(uint16(at: offset + 2)) << 16
    }

    /// One element header: tag, value representation, value length and where the value starts.
    private struct Header {
        let tag: DICOMTag
        let representation: String
        let length: UInt32
        let valueStart: Int
    }

    private func header(at offset: Int, explicitVR: Bool) throws(DICOMError) -> Header {
        guard offset + 8 <= bytes.count else { throw .truncated("element header at byte \(offset) runs past the end (\(bytes.count) bytes)") }
        let tag = DICOMTag(uint16(at: offset), uint16(at: offset + 2))
        if tag.group == 0xFFFE || !explicitVR {
            return Header(tag: tag, representation: DICOMTag.implicitRepresentations[tag] ?? "",
                          length: uint32(at: offset + 4), valueStart: offset + 8)
        }
        let representation = String(decoding: bytes[(offset + 4)..<(offset + 6)], as: UTF8.self)
        guard representation.utf8.allSatisfy({ (65...90).contains($0) }) else {
            throw .malformed("element \(tag) at byte \(offset) has no valid value representation (explicit VR expected)")
        }
        if DICOMTag.longFormRepresentations.contains(representation) {
            guard offset + 12 <= bytes.count else { throw .truncated("element header \(tag) at byte \(offset) runs past the end") }
            return Header(tag: tag, representation: representation, length: uint32(at: offset + 8), valueStart: offset + 12)
        }
        return Header(tag: tag, representation: representation, length: UInt32(uint16(at: offset + 6)), valueStart: offset + 8)
    }

    /// The value range of a defined-length element, checked against the file.
    private func valueRange(of header: Header) throws(DICOMError) -> Range<Int> {
        guard header.length != Self.undefinedLength else { throw .malformed("\(header.tag) has an undefined length") }
        let end = header.valueStart + Int(header.length)
        guard end <= bytes.count else {
            throw .truncated("\(header.tag) declares \(header.length) bytes at byte \(header.valueStart), \(bytes.count - header.valueStart) remain")
        }
        return header.valueStart..<end
    }

    // MARK: - File meta information

    /// Checks the preamble and reads the file meta group; returns the transfer syntax.
    mutating func readFileMeta() throws(DICOMError) -> DICOMTransferSyntax {
        guard bytes.count >= 132, bytes[128..<132].elementsEqual("DICM".utf8) else { throw .notPart10 }
        position = 132
        var uid: String?
        while position + 2 <= bytes.count, uint16(at: position) == 0x0002 {
            let element = try header(at: position, explicitVR: true)
            let range = try valueRange(of: element)
            if element.tag == .transferSyntaxUID {
                uid = String(decoding: bytes[range], as: UTF8.self).trimmingCharacters(in: [" ", "\0"])
            }
            position = range.upperBound
        }
        guard let uid else { throw .malformed("the file meta information has no Transfer Syntax UID (0002,0010)") }
        guard let syntax = DICOMTransferSyntax(rawValue: uid) else {
            throw .unsupportedTransferSyntax(uid: uid, name: DICOMTransferSyntax.knownUnsupported[uid] ?? "unknown")
        }
        return syntax
    }

    // MARK: - Data set

    /// Reads the main data set to the end of the file, collecting top-level elements.
    /// - Returns: the pixel data, if present.
    mutating func readDataSet(explicitVR: Bool,
                              collecting elements: inout [DICOMTag: (representation: String, range: Range<Int>)]) throws(DICOMError) -> DICOMFile.PixelData? {
        var pixelData: DICOMFile.PixelData?
        while position < bytes.count {
            let element = try header(at: position, explicitVR: explicitVR)
            if element.length == Self.undefinedLength {
                if element.tag == .pixelData {
                    pixelData = try readEncapsulated(from: element.valueStart)
                } else {
                    position = try skipSequence(from: element.valueStart, explicitVR: explicitVR && element.representation != "UN", depth: 1)
                }
                continue
            }
            let range = try valueRange(of: element)
            if element.tag == .pixelData {
                pixelData = .native(range)
            } else if element.tag.group == 0xFFFE {
                throw .malformed("item or delimiter \(element.tag) outside a sequence at byte \(position)")
            }
            elements[element.tag] = (element.representation, range)
            position = range.upperBound
        }
        return pixelData
    }

    /// Skips a sequence of undefined length starting at `start` (its first item); returns the offset after its delimiter.
    private func skipSequence(from start: Int, explicitVR: Bool, depth: Int) throws(DICOMError) -> Int {
        guard depth <= Self.maximumNesting else { throw .malformed("sequences nested more than \(Self.maximumNesting) deep") }
        var offset = start
        while true {
            let item = try header(at: offset, explicitVR: explicitVR)
            switch item.tag {
            case .sequenceDelimitation:
                return item.valueStart
            case .item where item.length == Self.undefinedLength:
                offset = try skipItem(from: item.valueStart, explicitVR: explicitVR, depth: depth + 1)
            case .item:
                offset = try valueRange(of: item).upperBound
            default:
                throw .malformed("expected an item or sequence delimiter at byte \(offset), found \(item.tag)")
            }
        }
    }

    /// Skips the elements of an item of undefined length; returns the offset after its delimiter.
    private func skipItem(from start: Int, explicitVR: Bool, depth: Int) throws(DICOMError) -> Int {
        var offset = start
        while true {
            let element = try header(at: offset, explicitVR: explicitVR)
            if element.tag == .itemDelimitation { return element.valueStart }
            if element.length == Self.undefinedLength {
                offset = try skipSequence(from: element.valueStart, explicitVR: explicitVR && element.representation != "UN", depth: depth + 1)
            } else {
                offset = try valueRange(of: element).upperBound
            }
        }
    }

    /// Reads encapsulated pixel data: the basic offset table item, then fragments up to the delimiter.
    private mutating func readEncapsulated(from start: Int) throws(DICOMError) -> DICOMFile.PixelData {
        var offset = start
        var basicOffsets: [UInt64] = []
        var fragments: [(itemOffset: UInt64, range: Range<Int>)] = []
        var firstFragment: Int?
        while true {
            let item = try header(at: offset, explicitVR: false)
            if item.tag == .sequenceDelimitation {
                position = item.valueStart
                break
            }
            guard item.tag == .item else { throw .malformed("expected a pixel data item at byte \(offset), found \(item.tag)") }
            let range = try valueRange(of: item)
            if offset == start {
                guard range.count % 4 == 0 else { throw .malformed("basic offset table of \(range.count) bytes") }
                basicOffsets = stride(from: range.lowerBound, to: range.upperBound, by: 4).map { UInt64(uint32(at: $0)) }
            } else {
                let first = firstFragment ?? offset
                firstFragment = first
                fragments.append((UInt64(offset - first), range))
            }
            offset = range.upperBound
        }
        guard !fragments.isEmpty else { throw .malformed("encapsulated pixel data without fragments") }
        return .encapsulated(basicOffsets: basicOffsets, fragments: fragments)
    }
}
