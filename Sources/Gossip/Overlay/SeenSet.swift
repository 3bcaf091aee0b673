/// A bounded set of message ids (BLAKE2b-128 digests): remembers the most recent `capacity`
/// ids and forgets the oldest.
///
/// All its memory is taken when it is made (about 48 bytes per id of capacity), so a peer's
/// resident memory does not grow round by round while the set fills.
struct SeenSet {
    /// An id's 16 bytes as two words; a shorter id is padded with zeros, a longer one cut.
    struct Key: Hashable {
        let high: UInt64
        let low: UInt64

        init(_ id: [UInt8]) {
            func word(_ offset: Int) -> UInt64 {
                var value: UInt64 = 0
                for i in 0..<8 where offset + i < id.count { value |= UInt64(id[offset + i]) << (8 * i) }
                return value
            }
            high = word(0)
            low = word(8)
        }
    }

    private var members: Set<Key>
    /// The ids in the order they came, as a ring once full: `head` is the oldest.
    private var order: [Key]
    private var head = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a seen-set needs room")
        self.capacity = capacity
        // An insertion comes before the eviction it causes: room for one more.
        members = Set(minimumCapacity: capacity + 1)
        order = []
        order.reserveCapacity(capacity)
    }

    /// Whether `id` is remembered.
    func contains(_ id: [UInt8]) -> Bool {
        members.contains(Key(id))
    }

    /// Inserts `id`; false when it was already there.
    mutating func insert(_ id: [UInt8]) -> Bool {
        let key = Key(id)
        guard members.insert(key).inserted else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            members.remove(order[head])
            order[head] = key
            head = (head + 1) % capacity
        }
        return true
    }

    var count: Int { members.count }
}
