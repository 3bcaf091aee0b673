import Testing
@testable import PeerCommand

@Suite struct OpenBLASSpinTests {
    @Test func setsTheShortTimeoutOnlyWhenNobodyChoseOne() {
        #expect(OpenBLASSpin.timeoutToSet(environment: [:]) == "4")
        #expect(OpenBLASSpin.timeoutToSet(environment: ["PATH": "/usr/bin"]) == "4")
        #expect(OpenBLASSpin.timeoutToSet(environment: ["OPENBLAS_THREAD_TIMEOUT": "20"]) == nil)
    }
}
