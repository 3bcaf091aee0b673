internal import Foundation

/// A node of the `peer` command tree: its name, its help, its subcommands and what it runs.
struct Command: Sendable {
    /// The word that selects it, e.g. "keygen".
    let name: String
    /// One line for the parent's list of subcommands.
    let summary: String
    /// The usage line without the "USAGE:" label.
    let usage: String
    /// Help text after the usage: options and details.
    var details: String = ""
    /// Subcommands, selected by the next positional argument.
    var subcommands: [Command] = []
    /// What the command does when no subcommand is selected; returns the exit status.
    var run: (@Sendable (inout Arguments, Console) async throws -> Int32)?

    /// The full help text.
    func help(path: String) -> String {
        var text = "OVERVIEW: \(summary)\n\nUSAGE: \(usage)\n"
        if !details.isEmpty { text += "\n" + details + "\n" }
        if !subcommands.isEmpty {
            text += "\nSUBCOMMANDS:\n"
            for command in subcommands {
                text += "  " + command.name.padding(toLength: 24, withPad: " ", startingAt: 0) + command.summary + "\n"
            }
            text += "\n  See '\(path) <subcommand> --help' for detailed help.\n"
        }
        return text
    }

    /// Runs the command the arguments select: descends into subcommands, prints help when
    /// asked, runs the selected command.
    /// - Returns: the exit status.
    /// - Throws: `UsageError`, and whatever the command throws.
    func dispatch(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        if !subcommands.isEmpty, let word = arguments.nextPositional() {
            guard let subcommand = subcommands.first(where: { $0.name == word }) else {
                let names = subcommands.map(\.name).joined(separator: ", ")
                throw arguments.usage("unknown subcommand '\(word)'; expected one of: \(names)")
            }
            var inner = Arguments(arguments.takeRemaining(), command: arguments.command + " " + word)
            return try await subcommand.dispatch(&inner, console: console)
        }
        if arguments.wantsHelp {
            console.output(help(path: arguments.command))
            return ExitStatus.success
        }
        if let run { return try await run(&arguments, console) }
        try arguments.finish()
        throw arguments.usage("missing subcommand; expected one of: " + subcommands.map(\.name).joined(separator: ", "))
    }
}

/// Exit statuses of `peer`: sysexits' EX_USAGE for usage errors and bad input files.
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 64
}
