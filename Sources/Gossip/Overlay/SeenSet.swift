/// A bounded set of message ids: remembers the most recent `capacity` ids, forgets the oldest.
struct SeenSet {
    private var members = Set<[UInt8]>()
    private var order: [[UInt8]] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a seen-set needs room")
        self.capacity = capacity
    }

    /// Whether `id` is remembered.
    func contains(_ id: [UInt8]) -> Bool {
        members.contains(id)
    }

    /// Inserts `id`; false when it was already there.
    mutating func insert(_ id: [UInt8]) -> Bool {
        guard members.insert(id).inserted else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        return true
    }

    var count: Int { members.count }
}
