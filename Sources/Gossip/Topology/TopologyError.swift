/// An invalid topology file: which file, which field, what value, what is wrong, what to do.
public struct TopologyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file's path as given.
    public let file: String
    /// The field, e.g. `links[3][1]` or `aggregation.threshold`; empty for the whole file.
    public let field: String
    /// The offending value as written, when there is one.
    public let value: String?
    /// What is wrong.
    public let problem: String
    /// What to do about it.
    public let fix: String

    public init(file: String, field: String, value: String? = nil, problem: String, fix: String) {
        self.file = file
        self.field = field
        self.value = value
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        let location = field.isEmpty ? file : "\(file): \(field)"
        let shown = value.map { " (got \($0))" } ?? ""
        return "\(location): \(problem)\(shown); \(fix)"
    }
}
