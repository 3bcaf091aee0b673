import Foundation
import Testing
@testable import Learn

/// Synthetic hospitals: deterministic, consistent with their labels, different between sites.
@Suite struct SyntheticHospitalTests {
    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "synth-\(UUID().uuidString)"
    }

    static func files(under directory: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: directory + "/" + path), !path.hasSuffix("/") { result[path] = data }
        }
        return result
    }

    @Test func sameSeedSameFilesOtherSeedOtherFiles() throws {
        var hospital = SyntheticHospital(imageCount: 6)
        hospital.size = 96
        hospital.positiveRate = 0.5
        let first = Self.temporaryDirectory(), second = Self.temporaryDirectory(), third = Self.temporaryDirectory()
        _ = try hospital.write(to: first)
        hospital.threadCount = 1
        _ = try hospital.write(to: second)
        hospital.seed = 2
        _ = try hospital.write(to: third)
        let a = Self.files(under: first), b = Self.files(under: second), c = Self.files(under: third)
        #expect(a.count == b.count && a == b)
        #expect(a[SyntheticHospital.labelsFileName] != c[SyntheticHospital.labelsFileName])
    }

    @Test func labelsMatchTheRenderedMasksAndHeadersLookLikeSIIM() throws {
        var hospital = SyntheticHospital(imageCount: 10)
        hospital.size = 128
        hospital.positiveRate = 0.3
        let directory = Self.temporaryDirectory()
        let summary = try hospital.write(to: directory)
        #expect(summary.positiveCount == 3)
        let labels = try SIIMLabels(contentsOf: summary.labelsPath)
        #expect(labels.imageIDs.count == 10 && labels.positiveImageCount == 3)
        #expect(try labels.encoding(width: 128, height: 128) == .relative)
        let dataset = try SIIMDataset(directory: directory)
        #expect(dataset.items.count == 10 && dataset.unlabelledCount == 0 && dataset.missingCount == 0)
        let flags = hospital.positiveFlags()
        let renderings = (0..<10).map { hospital.render($0, positive: flags[$0], profile: hospital.profile) }
        for item in dataset.items {
            let file = try DICOMFile(contentsOf: item.path)
            #expect(file.transferSyntax == .jpegBaseline)
            #expect(["M", "F"].contains(file.string(.patientSex)) && ["PA", "AP"].contains(file.string(.viewPosition)))
            #expect(Int(file.string(.patientAge) ?? "") != nil)
            // Which image index is this? The one whose rendering matches the mask and pixels.
            let image = try DICOMImage(file)
            let mask = labels.mask(for: item.imageID, width: 128, height: 128, encoding: .relative)
            #expect(mask.contains(255) == item.isPositive)
            let rendered = try #require(renderings.first { rendered in
                rendered.mask == mask && zip(rendered.pixels, image.pixels).allSatisfy { abs(Float($0) - $1) <= 24 }
            })
            // JPEG at quality 95 stays close to the rendered pixels.
            let meanError = zip(rendered.pixels, image.pixels).map { abs(Float($0) - $1) }.reduce(0, +) / Float(128 * 128)
            #expect(meanError < 2.5)
        }
    }

    @Test func pneumothoraxDarkensTheLungPeripheryItCovers() throws {
        var hospital = SyntheticHospital(imageCount: 40)
        hospital.size = 128
        hospital.positiveRate = 0.5
        let flags = hospital.positiveFlags()
        var darker = 0, count = 0
        for index in 0..<40 where flags[index] {
            let rendered = hospital.render(index, positive: true, profile: hospital.profile)
            let inside = rendered.mask.indices.filter { rendered.mask[$0] != 0 }
            #expect(!inside.isEmpty)
            // The same place mirrored into the other, healthy lung.
            let mirrored = inside.map { ($0 / 128) * 128 + 127 - $0 % 128 }
            let mean = { (pixels: [Int]) in pixels.map { Float(rendered.pixels[$0]) }.reduce(0, +) / Float(pixels.count) }
            if mean(inside) < mean(mirrored) - 4 { darker += 1 }
            count += 1
        }
        // Air without lung tissue is darker than healthy lung in (nearly) every positive image.
        #expect(count == 20 && darker >= 18)
    }

    @Test func sitesDifferInAcquisition() throws {
        var reference = SyntheticHospital(imageCount: 1), other = SyntheticHospital(imageCount: 1)
        other.site = 3
        #expect(reference.profile != other.profile)
        #expect(reference.profile.gamma == 1 && reference.profile.gain == 1)
        reference.size = 64
        other.size = 64
        let a = reference.render(0, positive: false, profile: reference.profile).pixels
        let b = other.render(0, positive: false, profile: other.profile).pixels
        #expect(a != b)
    }
}
