import Crypto
import Gossip
internal import Foundation
import Peer

/// The `peer` executable: one process per hospital, and the tools around it.
@main
enum PeerTool {
    /// The whole command tree.
    static let root = Command(
        name: "peer",
        summary: "Serverless federated learning with secure aggregation: one peer per hospital.",
        usage: "peer <subcommand> [options]",
        details: """
        OPTIONS:
          --version               Show the version.
          -h, --help              Show help information.
        """,
        subcommands: subcommands,
        run: runRoot
    )

    static let subcommands = [KeygenCommand.command, TopologyCommand.command, SimulateCommand.command, ModelCommand.command, DataCommand.command, TrainCommand.command, RunCommand.command, StatusCommand.command, PreflightCommand.command, StopCommand.command, LaunchCommand.command, BenchCommand.command]

    /// `peer --version`; anything else without a subcommand is a usage error.
    static func runRoot(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        guard try arguments.flag("--version") else {
            try arguments.finish()
            throw arguments.usage("missing subcommand; expected one of: " + subcommands.map(\.name).joined(separator: ", "))
        }
        try arguments.finish()
        console.output(PeerVersion.current + "\n")
        return ExitStatus.success
    }

    static func main() async {
        RuntimeTuning.applyByExecutingAgain()
        exit(await run(Array(CommandLine.arguments.dropFirst())))
    }

    /// Runs `peer` with `arguments` (without the program name) and returns the exit status.
    static func run(_ arguments: [String], console: Console = Console()) async -> Int32 {
        var parsed = Arguments(arguments, command: "peer")
        do {
            return try await root.dispatch(&parsed, console: console)
        } catch let error as UsageError {
            console.diagnostic("error: \(error.message)\nSee '\(error.command) --help'.\n")
            return ExitStatus.usage
        } catch let error as TopologyError {
            console.diagnostic("error: \(error)\n")
            return ExitStatus.usage
        } catch {
            console.diagnostic("error: \(error)\n")
            return ExitStatus.failure
        }
    }
}
