internal import Foundation
import Learn

/// `peer data`: chest X-ray files as hospitals hold them (DICOM, SIIM-ACR labels) and synthetic ones.
enum DataCommand {
    static let command = Command(
        name: "data",
        summary: "Inspect DICOM files and SIIM-ACR labels; generate synthetic hospitals.",
        usage: "peer data <subcommand> [options]",
        subcommands: [inspect, labels]
    )

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
