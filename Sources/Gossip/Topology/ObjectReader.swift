/// Reads the members of one JSON object of a topology file, naming each field by its path
/// in errors and refusing members nobody asked for.
struct ObjectReader {
    let file: String
    let path: String
    private let members: [(key: String, value: JSONValue)]

    /// - Throws: when `value` is not an object or repeats a member name.
    init(_ value: JSONValue, path: String, file: String) throws(TopologyError) {
        self.file = file
        self.path = path
        guard case .object(let members) = value else {
            throw TopologyError(file: file, field: path, value: value.shortDescription, problem: "expected an object", fix: "write { ... } here")
        }
        self.members = members
        var seen = Set<String>()
        for member in members where !seen.insert(member.key).inserted {
            throw TopologyError(file: file, field: field(member.key), problem: "appears twice", fix: "keep one of them")
        }
    }

    /// The dotted path of a member.
    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about member `key`.
    func error(_ key: String, _ value: JSONValue?, _ problem: String, fix: String) -> TopologyError {
        TopologyError(file: file, field: field(key), value: value?.shortDescription, problem: problem, fix: fix)
    }

    /// Refuses members outside `known`, suggesting the nearest known name.
    func refuseUnknown(_ known: [String]) throws(TopologyError) {
        for member in members where !known.contains(member.key) {
            let nearest = known.min { editDistance($0, member.key) < editDistance($1, member.key) } ?? ""
            let hint = editDistance(nearest, member.key) <= 2 ? "did you mean '\(nearest)'? " : ""
            throw error(member.key, nil, "unknown field",
                        fix: "\(hint)fields here are: \(known.joined(separator: ", ")); a typo must not silently change a federation")
        }
    }

    func value(_ key: String) -> JSONValue? { members.first { $0.key == key }?.value }

    func required(_ key: String) throws(TopologyError) -> JSONValue {
        guard let value = value(key) else { throw error(key, nil, "is missing", fix: "add \"\(key)\" to \(path.isEmpty ? "the top level" : path)") }
        return value
    }

    func string(_ key: String) throws(TopologyError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw error(key, value, "expected a string", fix: "quote the value") }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(TopologyError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let text) = value, let number = Int(text) else {
            throw error(key, value, "expected an integer", fix: "write a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        guard range.contains(number) else {
            throw error(key, value, "is out of range", fix: "use a value in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func number(_ key: String, where valid: (Double) -> Bool, requirement: String) throws(TopologyError) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let text) = value, let number = Double(text), number.isFinite else {
            throw error(key, value, "expected a number", fix: "write a number that is \(requirement)")
        }
        guard valid(number) else { throw error(key, value, "is out of range", fix: "use a number that is \(requirement)") }
        return number
    }

    func oneOf(_ key: String, _ choices: [String]) throws(TopologyError) -> String? {
        guard let text = try string(key) else { return nil }
        guard choices.contains(text) else {
            throw error(key, .string(text), "is not known", fix: "use one of: \(choices.joined(separator: ", "))")
        }
        return text
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
