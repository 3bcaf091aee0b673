import Foundation

/// The real files of ../shared/fixtures (beside the repository), which tests read in place.
enum SharedFixtures {
    /// The directory, looked up beside the repository this test file belongs to, then at /work/shared.
    static let directory: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [repository.deletingLastPathComponent().appendingPathComponent("shared/fixtures").path, "/work/shared/fixtures"]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }()

    /// The SIIM-ACR DICOM (a negative case, JPEG baseline, 1024 x 1024).
    static let siimDICOM = directory + "/siim/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
}
