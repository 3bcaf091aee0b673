/// Builds an optimal Huffman table for observed symbol frequencies, limited to 16-bit codes and
/// without the all-ones code, by the procedure of ISO/IEC 10918-1 annex K.2.
enum JPEGHuffmanCodeLengths {
    /// The table for `frequencies` (256 entries; symbols with frequency 0 get no code).
    static func table(for frequencies: [Int]) -> JPEGHuffmanTable {
        precondition(frequencies.count == 256)
        // Symbol 256 is reserved with frequency 1 so that no real code is all ones.
        var frequency = frequencies + [1]
        var codeSize = [Int](repeating: 0, count: 257)
        var others = [Int](repeating: -1, count: 257)
        while true {
            // The two least frequent remaining trees (ties: the larger symbol first).
            var first = -1, second = -1
            for symbol in 0..<257 where frequency[symbol] > 0 {
                if first < 0 || frequency[symbol] <= frequency[first] {
                    second = first
                    first = symbol
                } else if second < 0 || frequency[symbol] <= frequency[second] {
                    second = symbol
                }
            }
            guard second >= 0 else { break }
            frequency[first] += frequency[second]
            frequency[second] = 0
            // Every symbol of both trees moves one level down; the chains are joined.
            var node = first
            codeSize[node] += 1
            while others[node] >= 0 {
                node = others[node]
                codeSize[node] += 1
            }
            others[node] = second
            node = second
            codeSize[node] += 1
            while others[node] >= 0 {
                node = others[node]
                codeSize[node] += 1
            }
        }
        var counts = [Int](repeating: 0, count: 300)
        for size in codeSize where size > 0 { counts[size] += 1 }
        // Move codes longer than 16 bits up the tree (K.2 figure K.3).
        var length = counts.count - 1
        while length > 16 {
            while counts[length] > 0 {
                var donor = length - 2
                while counts[donor] == 0 { donor -= 1 }
                counts[length] -= 2
                counts[length - 1] += 1
                counts[donor + 1] += 2
                counts[donor] -= 1
            }
            length -= 1
        }
        // Drop the reserved code (the longest one).
        length = 16
        while counts[length] == 0 { length -= 1 }
        counts[length] -= 1
        var symbols: [UInt8] = []
        for size in 1..<300 {
            for symbol in 0..<256 where codeSize[symbol] == size { symbols.append(UInt8(symbol)) }
        }
        do {
            return try JPEGHuffmanTable(counts: Array(counts[1...16]), symbols: symbols)
        } catch {
            preconditionFailure("annex K.2 produced an invalid table: \(error)")
        }
    }
}
