internal import Foundation
import Learn

/// `peer bench data`: DICOM decoding speed, and the learning curve of the synthetic task.
extension BenchCommand {
    static let data = Command(
        name: "data",
        summary: "Decoding speed of 1024x1024 JPEG-baseline DICOMs; the synthetic task's learning curve.",
        usage: "peer bench data [--data DIR | --images N] [--repetitions R] [--reference FILE.json] [--curve-full FILE.json --curve-half FILE.json [--external-full FILE.json --external-half FILE.json]] [--out FILE] [--json]",
        details: """
        Decodes every DICOM of DIR (or of N synthetic 1024x1024 JPEG-baseline DICOMs written to a
        temporary directory as 'peer data synth' writes them) R times: DICOM parsing, JPEG
        decoding, 0...1 scaling, on one thread; reports the median images per second, next to
        the real SIIM-ACR fixture decoded the same way.

        OPTIONS:
          --images N              Images to decode per pass (default 16).
          --repetitions R         Timed passes; the median is reported (default 3).
          --fixture FILE          A real SIIM-ACR DICOM to time as well (default ../shared/fixtures).
          --reference FILE        JSON of tools/bench-decode.py (pydicom + Pillow on the same files).
          --data DIR              Time the DICOMs of this SIIM-style directory instead.
          --curve-full FILE       'peer train --json' output with all training images,
          --curve-half FILE       and with --fraction 0.5: tabled as the learning curve.
          --external-full FILE    'peer model evaluate --part all --json' of both checkpoints on
          --external-half FILE    an independent synthetic hospital, tabled beside the test figures.
          --out FILE              Also write the results as Markdown to FILE.
          --json                  Print the results as JSON.
          -h, --help              Show help information.
        """,
        run: runData
    )

    static func runData(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let imageCount = try arguments.integer("--images", default: 16, in: 1...10_000)
        let repetitions = try arguments.integer("--repetitions", default: 3, in: 1...100)
        let fixture = try arguments.option("--fixture") ?? "../shared/fixtures/siim/1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"
        let referencePath = try arguments.option("--reference")
        let given = try arguments.option("--data")
        let fullPath = try arguments.option("--curve-full"), halfPath = try arguments.option("--curve-half")
        let externalFullPath = try arguments.option("--external-full"), externalHalfPath = try arguments.option("--external-half")
        let outPath = try arguments.option("--out")
        let json = try arguments.flag("--json")
        try arguments.finish()

        let directory = given ?? NSTemporaryDirectory() + "bench-data-\(UUID().uuidString)"
        defer { if given == nil { try? FileManager.default.removeItem(atPath: directory) } }
        if given == nil {
            var hospital = SyntheticHospital(imageCount: imageCount)
            hospital.seed = 7
            console.diagnostic("bench: writing \(imageCount) synthetic 1024x1024 DICOMs to \(directory)\n")
            _ = try hospital.write(to: directory)
        }
        let paths = try SIIMDataset(directory: directory).items.map(\.path)
        let files = try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let decode = { (bytes: Data) in _ = try? DICOMImage(try DICOMFile(bytes: Array(bytes))) }
        let syntheticSeconds = medianSeconds(repetitions) { for file in files { decode(file) } }
        let syntheticRate = Double(files.count) / syntheticSeconds
        console.diagnostic(String(format: "bench: synthetic 1024x1024 JPEG DICOMs: %.1f images/s\n", syntheticRate))
        var results: [String: Any] = ["images": files.count, "repetitions": repetitions, "syntheticImagesPerSecond": syntheticRate,
                                      "syntheticMeanBytes": files.map(\.count).reduce(0, +) / files.count]
        if let bytes = FileManager.default.contents(atPath: fixture) {
            let seconds = medianSeconds(repetitions) { for _ in 0..<8 { decode(bytes) } }
            results["fixtureImagesPerSecond"] = 8 / seconds
            results["fixtureBytes"] = bytes.count
            console.diagnostic(String(format: "bench: SIIM-ACR fixture: %.1f images/s\n", 8 / seconds))
        }
        func readJSON(_ path: String?) throws -> [String: Any]? {
            guard let path else { return nil }
            guard let data = FileManager.default.contents(atPath: path), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CommandFailure("cannot read JSON from \(path)")
            }
            return object
        }
        let reference = try readJSON(referencePath)
        var full = try readJSON(fullPath), half = try readJSON(halfPath)
        if let external = try readJSON(externalFullPath) { full?["external"] = external }
        if let external = try readJSON(externalHalfPath) { half?["external"] = external }
        if let reference { results["reference"] = reference }
        if let full, let half { results["curve"] = ["full": full, "half": half] }
        if let outPath {
            try AtomicFile.write(Array(dataMarkdown(results, reference: reference, full: full, half: half).utf8), to: outPath)
            console.diagnostic("bench: wrote \(outPath)\n")
        }
        if json { console.json(results) }
        return ExitStatus.success
    }

    static func dataMarkdown(_ results: [String: Any], reference: [String: Any]?, full: [String: Any]?, half: [String: Any]?) -> String {
        let rate = { (value: Any?) in (value as? Double).map { String(format: "%.1f", $0) } ?? "-" }
        var text = """
        # Data benchmark: DICOM decoding and the synthetic task's difficulty

        Written by `make bench-data` on \(ISO8601DateFormatter().string(from: Date())).

        - Machine: \(MachineDescription.current)

        ## Decoding 1024x1024 JPEG-baseline DICOMs

        `peer bench data` on \(results["images"] ?? 0) files, \(results["repetitions"] ?? 0) passes: parse the file,
        decode the JPEG (Huffman, integer IDCT bit-identical to libjpeg), scale to 0...1; one thread, median of the passes.

        | files | peer (images/s) | pydicom + Pillow (images/s) |
        |---|---:|---:|
        | synthetic phantoms (\(results["syntheticMeanBytes"] ?? 0) bytes each) | \(rate(results["syntheticImagesPerSecond"])) | \(rate(reference?["syntheticImagesPerSecond"])) |
        | SIIM-ACR fixture (\(results["fixtureBytes"] ?? 0) bytes) | \(rate(results["fixtureImagesPerSecond"])) | \(rate(reference?["fixtureImagesPerSecond"])) |

        """
        if reference != nil {
            text += "\nThe reference column: `tools/bench-decode.py` (pydicom and Pillow's libjpeg-turbo from PyPI, .venv) on the same files in the same run.\n"
        }
        guard let full, let half else { return text }
        let test = { (run: [String: Any], key: String) in ((run["test"] as? [String: Any])?[key] as? Double).map { String(format: "%.3f", $0) } ?? "-" }
        let external = { (run: [String: Any], key: String) in ((run["external"] as? [String: Any])?[key] as? Double).map { String(format: "%.3f", $0) } ?? "-" }
        let externalImages = ((full["external"] as? [String: Any])?["images"] as? Int).map(String.init) ?? "-"
        text += """

        ## Difficulty of the synthetic task

        ResNet-18 at 64 px on synthetic hospital images (see `make bench-data` for the exact
        commands): trained on all training images and on half of them; F1 at the threshold chosen
        on validation, on the same held-out test images (300), and on \(externalImages) further images of the
        same site (another seed), which measure F1 more precisely.

        | training images | epochs | test F1 | test F1 at 0.5 | test ROC AUC | precision | recall | further images: F1 | further images: ROC AUC | seconds |
        |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|

        """
        for run in [full, half] {
            text += "| \(run["trainingImages"] ?? "-") | \(run["epochs"] ?? "-") | \(test(run, "f1")) | \(test(run, "f1At05")) | \(test(run, "auc")) | \(test(run, "precision")) | \(test(run, "recall")) | \(external(run, "f1")) | \(external(run, "auc")) | \(rate(run["seconds"])) |\n"
        }
        return text
    }
}
