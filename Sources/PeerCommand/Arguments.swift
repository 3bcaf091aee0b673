/// A usage error: a bad flag, a missing or malformed value. Exits 64 with the message on stderr
/// and a pointer to the command's help.
struct UsageError: Error, Equatable {
    /// What was wrong, and what to do about it.
    let message: String
    /// The command whose help to point at, e.g. "peer keygen".
    var command: String = "peer"
}

/// The arguments of one command, consumed as the command reads its options.
///
/// Follows swift-argument-parser's conventions: `--name value` or `--name=value` options,
/// `--flag` booleans, `-h`/`--help` anywhere, `--` ends the options. Whatever a command does
/// not read is an error (`finish()`), so a typo never passes silently.
struct Arguments {
    private var remaining: [String]
    /// The command path these arguments belong to, for messages ("peer keygen").
    let command: String

    init(_ arguments: [String], command: String) {
        remaining = arguments
        self.command = command
    }

    /// Whether help was asked for anywhere among the remaining options.
    var wantsHelp: Bool {
        remaining.prefix { $0 != "--" }.contains { $0 == "-h" || $0 == "--help" }
    }

    /// Whether nothing is left.
    var isEmpty: Bool { remaining.isEmpty }

    /// Removes and returns the next argument if it is not an option (a subcommand or operand).
    mutating func nextPositional() -> String? {
        guard let first = remaining.first else { return nil }
        if first == "--" {
            remaining.removeFirst()
            return remaining.isEmpty ? nil : remaining.removeFirst()
        }
        guard !first.hasPrefix("-") || first == "-" else { return nil }
        return remaining.removeFirst()
    }

    /// Removes and returns everything left (handed on to a subcommand).
    mutating func takeRemaining() -> [String] {
        defer { remaining = [] }
        return remaining
    }

    /// Removes a required operand (e.g. FILE). Call it after every option has been read, so
    /// that an option's value is never mistaken for the operand.
    mutating func operand(_ placeholder: String) throws(UsageError) -> String {
        if let index = remaining.firstIndex(where: { !$0.hasPrefix("-") || $0 == "-" }), !remaining[..<index].contains("--") {
            return remaining.remove(at: index)
        }
        if let dash = remaining.firstIndex(of: "--"), dash + 1 < remaining.count {
            remaining.remove(at: dash)
            return remaining.remove(at: dash)
        }
        throw usage("missing \(placeholder)")
    }

    /// Removes a boolean flag; true when it was present.
    mutating func flag(_ name: String) throws(UsageError) -> Bool {
        var found = false
        for index in optionIndices.reversed() {
            let argument = remaining[index]
            if argument == name {
                found = true
                remaining.remove(at: index)
            } else if argument.hasPrefix(name + "=") {
                throw usage("\(name) is a flag and takes no value")
            }
        }
        return found
    }

    /// Removes an option and returns its value, or nil when absent.
    /// - Throws: `UsageError` when the value is missing or the option is repeated.
    mutating func option(_ name: String) throws(UsageError) -> String? {
        let values = try options(name)
        guard values.count <= 1 else { throw usage("'\(name)' was given more than once") }
        return values.first
    }

    /// Removes every occurrence of an option that may be repeated and returns their values, in
    /// order.
    /// - Throws: `UsageError` when a value is missing.
    mutating func options(_ name: String) throws(UsageError) -> [String] {
        var values: [String] = []
        var index = 0
        while index < remaining.count, remaining[index] != "--" {
            let argument = remaining[index]
            if argument == name {
                guard index + 1 < remaining.count, !remaining[index + 1].hasPrefix("--") else {
                    throw usage("missing value for '\(name)'")
                }
                values.append(remaining[index + 1])
                remaining.removeSubrange(index...(index + 1))
            } else if argument.hasPrefix(name + "=") {
                values.append(String(argument.dropFirst(name.count + 1)))
                remaining.remove(at: index)
            } else {
                index += 1
            }
        }
        return values
    }

    /// Removes an option that must be present.
    mutating func required(_ name: String, placeholder: String) throws(UsageError) -> String {
        guard let value = try option(name) else { throw usage("missing '\(name) \(placeholder)'") }
        return value
    }

    /// Removes an integer option within `range`, or returns `defaultValue` when absent.
    mutating func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        try integer(name, in: range) ?? defaultValue
    }

    /// Removes an integer option within `range`, or returns nil when absent.
    mutating func integer(_ name: String, in range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let text = try option(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw usage("'\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// Removes a decimal option within `range`, or returns `defaultValue` when absent.
    mutating func number(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>) throws(UsageError) -> Double {
        try number(name, in: range) ?? defaultValue
    }

    /// Removes a decimal option within `range`, or returns nil when absent.
    mutating func number(_ name: String, in range: ClosedRange<Double>) throws(UsageError) -> Double? {
        guard let text = try option(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw usage("'\(name)' must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// Ends parsing: anything left over is an unknown option or an unexpected argument.
    mutating func finish() throws(UsageError) {
        guard let first = remaining.first else { return }
        if first.hasPrefix("-") && first != "-" {
            throw usage("unknown option '\(first.split(separator: "=", maxSplits: 1)[0])'")
        }
        throw usage("unexpected argument '\(first)'")
    }

    /// A usage error about this command.
    func usage(_ message: String) -> UsageError {
        UsageError(message: message, command: command)
    }

    private var optionIndices: [Int] {
        Array(remaining.prefix { $0 != "--" }.indices)
    }
}
