/// The zig-zag scan of an 8x8 block (ISO/IEC 10918-1 figure 5): entry k is the natural
/// (row-major) index of the k-th coefficient in the stream.
enum JPEGZigZag {
    static let naturalIndex: [Int] = {
        var order: [Int] = []
        order.reserveCapacity(64)
        for diagonal in 0..<15 {
            let rows = max(0, diagonal - 7)...min(7, diagonal)
            // Even diagonals run from bottom-left to top-right, odd ones the other way.
            let walk = diagonal % 2 == 0 ? Array(rows.reversed()) : Array(rows)
            for row in walk { order.append(row * 8 + (diagonal - row)) }
        }
        return order
    }()
}
