import Testing
@testable import PeerCommand

@Suite struct RuntimeTuningTests {
    @Test func setsOnlyWhatNobodyChose() {
        #expect(RuntimeTuning.missing(from: [:]).map(\.0) == ["OPENBLAS_THREAD_TIMEOUT", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_"])
        let chosen = RuntimeTuning.missing(from: ["OPENBLAS_THREAD_TIMEOUT": "20", "PATH": "/usr/bin"])
        #expect(chosen.map(\.0) == ["MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_"])
        #expect(chosen.map(\.1) == ["0", "2147483647"])
        // The node keeps one malloc arena besides; other commands keep glibc's.
        #expect(RuntimeTuning.settings(for: ["run", "--id", "x"]).map(\.0).last == "MALLOC_ARENA_MAX")
        #expect(!RuntimeTuning.settings(for: ["bench", "aggregation"]).contains { $0.0 == "MALLOC_ARENA_MAX" })
        #expect(RuntimeTuning.missing(from: [:], wanted: RuntimeTuning.settings(for: ["run"])).count == 4)
        let all = Dictionary(uniqueKeysWithValues: RuntimeTuning.settings.map { ($0.0, "x") })
        #expect(RuntimeTuning.missing(from: all).isEmpty)
    }
}
