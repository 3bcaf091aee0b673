import Testing
@testable import PeerCommand

@Suite struct ArgumentsTests {
    @Test func optionsInBothFormsAndFlags() throws {
        var arguments = Arguments(["--out", "a.key", "--words=12", "--json"], command: "peer test")
        #expect(try arguments.option("--out") == "a.key")
        #expect(try arguments.integer("--words", default: 1, in: 1...100) == 12)
        #expect(try arguments.flag("--json"))
        #expect(try !arguments.flag("--force"))
        #expect(try arguments.option("--absent") == nil)
        #expect(throws: Never.self) { try arguments.finish() }
    }

    @Test func aRepeatableOptionGivesEveryValueInOrder() throws {
        var arguments = Arguments(["--kill-at", "2:train", "--json", "--kill-at=5:unmask", "--", "--kill-at", "x"], command: "peer run")
        #expect(try arguments.options("--kill-at") == ["2:train", "5:unmask"])
        #expect(try arguments.options("--freeze-at").isEmpty)
        #expect(try arguments.flag("--json"))
    }

    @Test func missingRepeatedAndOutOfRangeValuesAreUsageErrors() {
        var missing = Arguments(["--out"], command: "peer keygen")
        #expect(throws: UsageError(message: "missing value for '--out'", command: "peer keygen")) { try missing.option("--out") }
        var repeated = Arguments(["--out", "a", "--out=b"], command: "peer keygen")
        #expect(throws: UsageError(message: "'--out' was given more than once", command: "peer keygen")) { try repeated.option("--out") }
        var range = Arguments(["--words", "0"], command: "peer bench crypto")
        #expect(throws: UsageError.self) { try range.integer("--words", default: 1, in: 1...10) }
        var notInteger = Arguments(["--words", "ten"], command: "peer bench crypto")
        #expect(throws: UsageError.self) { try notInteger.integer("--words", default: 1, in: 1...10) }
        var required = Arguments([], command: "peer keygen")
        #expect(throws: UsageError(message: "missing '--out FILE'", command: "peer keygen")) { try required.required("--out", placeholder: "FILE") }
        var flagWithValue = Arguments(["--json=yes"], command: "peer keygen")
        #expect(throws: UsageError.self) { try flagWithValue.flag("--json") }
    }

    @Test func leftoversAreReported() {
        var unknown = Arguments(["--frob=1"], command: "peer")
        #expect(throws: UsageError(message: "unknown option '--frob'", command: "peer")) { try unknown.finish() }
        var unexpected = Arguments(["stray"], command: "peer")
        #expect(throws: UsageError(message: "unexpected argument 'stray'", command: "peer")) { try unexpected.finish() }
    }

    @Test func positionalsAndTheEndOfOptions() {
        var arguments = Arguments(["bench", "--", "--literal"], command: "peer")
        #expect(arguments.nextPositional() == "bench")
        #expect(arguments.nextPositional() == "--literal")
        #expect(arguments.isEmpty)
        var help = Arguments(["crypto", "-h"], command: "peer bench")
        #expect(help.wantsHelp)
        var afterDash = Arguments(["--", "--help"], command: "peer")
        #expect(!afterDash.wantsHelp)
        _ = afterDash.takeRemaining()
        _ = help.takeRemaining()
    }
}
