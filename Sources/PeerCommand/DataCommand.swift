internal import Foundation
import Learn

/// `peer data`: chest X-ray files as hospitals hold them (DICOM, SIIM-ACR labels) and synthetic ones.
enum DataCommand {
    static let command = Command(
        name: "data",
        summary: "Inspect DICOM files and SIIM-ACR labels; generate synthetic hospitals.",
        usage: "peer data <subcommand> [options]",
        subcommands: [synth, inspect, labels]
    )

    // MARK: - synth

    static let synth = Command(
        name: "synth",
        summary: "Write a synthetic hospital: chest X-ray phantoms as SIIM-ACR DICOMs and train-rle.csv.",
        usage: "peer data synth --out DIR --images N [--size S] [--positive-rate R] [--seed S] [--site K] [--force] [--json]",
        details: """
        The images are JPEG-baseline DICOMs with SIIM-ACR's headers (sex, age, view position) in
        DIR/dicom-images-train/<study>/<series>/<image>.dcm; DIR/train-rle.csv holds the
        pneumothorax masks as SIIM-ACR encodes them. Phantoms have a body outline, lungs with
        branching markings, ribs, clavicles, heart, mediastinum and diaphragm; a pneumothorax is a
        thin pleural line with no lung markings between it and the chest wall. Chest tubes and ECG
        leads appear in both classes.

        OPTIONS:
          --out DIR               Directory to write (created; must be empty unless --force).
          --images N              Number of images.
          --size S                Pixels per side (64...2048, default 1024 as SIIM-ACR).
          --positive-rate R       Fraction with pneumothorax (default 0.22 as SIIM-ACR).
          --seed S                Seed (default 1): the same seed, site and counts give the same files.
          --site K                Hospital profile (default 0): exposure, noise, blur, gamma and
                                  confounder rates differ between sites.
          --threads T             Rendering threads (default 2).
          --force                 Write into a directory that is not empty.
          --json                  Print {"directory", "images", "positives", "labels", "site"} as JSON.
          -h, --help              Show help information.
        """,
        run: runSynth
    )

    static func runSynth(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let out = try arguments.required("--out", placeholder: "DIR")
        let imageCount = try arguments.integer("--images", default: 0, in: 0...1_000_000)
        let size = try arguments.integer("--size", default: 1024, in: 64...2048)
        let rate = try arguments.number("--positive-rate", default: 0.22, in: 0...1)
        let seed = try arguments.integer("--seed", default: 1, in: 0...Int.max)
        let site = try arguments.integer("--site", default: 0, in: 0...1_000_000)
        let threads = try arguments.integer("--threads", default: 2, in: 1...64)
        let force = try arguments.flag("--force")
        let json = try arguments.flag("--json")
        try arguments.finish()
        guard imageCount > 0 else { throw arguments.usage("missing '--images N' (at least 1)") }
        if !force, let contents = try? FileManager.default.contentsOfDirectory(atPath: out), !contents.isEmpty {
            throw CommandFailure("\(out) is not empty; choose another directory or pass --force")
        }
        var hospital = SyntheticHospital(imageCount: imageCount)
        hospital.size = size
        hospital.positiveRate = rate
        hospital.seed = UInt64(seed)
        hospital.site = site
        hospital.threadCount = threads
        let meter = ProgressMeter(total: imageCount, unit: "images", console: console)
        let summary = try hospital.write(to: out) { done in meter.report(done) }
        meter.finish()
        if json {
            console.json(["directory": out, "images": summary.imageCount, "positives": summary.positiveCount,
                          "labels": summary.labelsPath, "site": site])
        } else {
            console.output("wrote \(out): \(summary.imageCount) images, \(summary.positiveCount) with pneumothorax, labels in \(summary.labelsPath)\n")
        }
        return ExitStatus.success
    }

    // MARK: - inspect

    static let inspect = Command(
        name: "inspect",
        summary: "Header and pixel statistics of a DICOM file.",
        usage: "peer data inspect FILE.dcm [--json] [--png OUT]",
        details: """
        Reads Part 10 files in implicit or explicit VR little endian with native 8- or 16-bit
        pixels, or JPEG baseline (SIIM-ACR's syntax). Pixel statistics are taken after decoding,
        MONOCHROME1 inversion (bigger is brighter) and the rescale slope and intercept.

        OPTIONS:
          --json                  Print the figures as JSON.
          --png OUT               Also write the first frame as an 8-bit greyscale PNG, its
                                  minimum black and its maximum white.
          -h, --help              Show help information.
        """,
        run: runInspect
    )

    static func runInspect(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let json = try arguments.flag("--json")
        let png = try arguments.option("--png")
        let path = try arguments.operand("FILE.dcm")
        try arguments.finish()
        let file: DICOMFile, image: DICOMImage
        do {
            file = try DICOMFile(contentsOf: path)
            image = try DICOMImage(file)
        } catch let error as DICOMError {
            throw UsageError(message: "\(path): \(error)", command: "peer data inspect")
        } catch {
            throw CommandFailure("cannot read \(path): \(error.localizedDescription)")
        }
        let attributes = image.attributes
        let minimum = image.pixels.min() ?? 0, maximum = image.pixels.max() ?? 0
        let mean = image.pixels.reduce(0.0) { $0 + Double($1) } / Double(image.pixels.count)
        if let png {
            try AtomicFile.write(PNGWriter.encode(width: image.columns, height: image.rows, samples: PNGWriter.windowed(image.pixels)), to: png)
        }
        let text = { (tag: DICOMTag) in file.string(tag) ?? "" }
        if json {
            var report: [String: Any] = [
                "path": path, "rows": attributes.rows, "columns": attributes.columns,
                "bitsAllocated": attributes.bitsAllocated, "bitsStored": attributes.bitsStored,
                "samplesPerPixel": attributes.samplesPerPixel, "photometricInterpretation": attributes.photometric,
                "transferSyntax": ["uid": file.transferSyntax.rawValue, "name": file.transferSyntax.name],
                "patientSex": text(.patientSex), "patientAge": text(.patientAge), "viewPosition": text(.viewPosition),
                "pixels": ["min": Double(minimum), "max": Double(maximum), "mean": mean],
            ]
            if let png { report["png"] = png }
            console.json(report)
        } else {
            console.output("""
            \(path)
              size                 \(attributes.columns) x \(attributes.rows), \(attributes.samplesPerPixel) sample(s) per pixel
              bits                 \(attributes.bitsStored) stored of \(attributes.bitsAllocated) allocated\(attributes.isSigned ? ", signed" : "")
              photometric          \(attributes.photometric)
              transfer syntax      \(file.transferSyntax.rawValue) (\(file.transferSyntax.name))
              patient              sex \(text(.patientSex).isEmpty ? "-" : text(.patientSex)), age \(text(.patientAge).isEmpty ? "-" : text(.patientAge))
              view position        \(text(.viewPosition).isEmpty ? "-" : text(.viewPosition))
              pixels               min \(minimum), max \(maximum), mean \(String(format: "%.4f", mean))\n
            """)
            if let png { console.output("wrote \(png)\n") }
        }
        return ExitStatus.success
    }

    // MARK: - labels

    static let labels = Command(
        name: "labels",
        summary: "Count the images, positives and masks of a SIIM-ACR train-rle.csv.",
        usage: "peer data labels FILE.csv [--size N] [--json]",
        details: """
        The file has the header 'ImageId, EncodedPixels' and one row per mask; -1 means no
        pneumothorax; an image is positive if any of its rows has a mask.

        OPTIONS:
          --size N                Image side the masks must fit (default 1024, SIIM-ACR's); decides
                                  between relative (SIIM-ACR) and absolute run starts.
          --json                  Print the figures as JSON.
          -h, --help              Show help information.
        """,
        run: runLabels
    )

    static func runLabels(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let size = try arguments.integer("--size", default: 1024, in: 1...65_535)
        let json = try arguments.flag("--json")
        let path = try arguments.operand("FILE.csv")
        try arguments.finish()
        let labels: SIIMLabels, encoding: SIIMLabels.Encoding
        do {
            labels = try SIIMLabels(contentsOf: path)
            encoding = try labels.encoding(width: size, height: size, path: path)
        } catch let error as SIIMLabels.Malformed {
            throw UsageError(message: error.description, command: "peer data labels")
        } catch {
            throw CommandFailure("cannot read \(path): \(error.localizedDescription)")
        }
        let figures: [String: Any] = [
            "path": path, "images": labels.imageIDs.count, "positiveImages": labels.positiveImageCount,
            "rows": labels.rows.count, "imagesWithSeveralMasks": labels.multipleMaskImageCount, "encoding": encoding.rawValue,
        ]
        if json {
            console.json(figures)
        } else {
            let rate = labels.imageIDs.isEmpty ? 0 : 100 * Double(labels.positiveImageCount) / Double(labels.imageIDs.count)
            console.output("""
            \(path)
              images               \(labels.imageIDs.count)
              positive images      \(labels.positiveImageCount) (\(String(format: "%.1f", rate))%)
              rows                 \(labels.rows.count)
              several masks        \(labels.multipleMaskImageCount) images
              run starts           \(encoding.rawValue)\n
            """)
        }
        return ExitStatus.success
    }
}
