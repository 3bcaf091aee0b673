import Crypto
internal import Foundation
import Learn

/// `peer train`: the centralized baseline on one directory of data.
enum TrainCommand {
    static let command = Command(
        name: "train",
        summary: "Train centrally on a SIIM-ACR style directory (the baseline federations must approach).",
        usage: "peer train --data DIR [--model M] [--image-size S] [--epochs E] [--out FILE] [options] [--json]",
        details: """
        The labelled images are split by image (stratified, --split-seed) into 70% training, 15%
        validation and 15% test. After every epoch the model is evaluated on the validation part;
        the best epoch (validation AUC) is saved to --out, with FILE.json beside it recording the
        model, image size and the F1-maximising threshold chosen on validation. At the end the
        best model is evaluated on the test part.

        OPTIONS:
          --data DIR              Directory with DICOM files and train-rle.csv (see 'peer data synth').
          --model M               \(ModelKind.choices) (default resnet18).
          --image-size S          Pixels per side after resizing (default 128).
          --epochs E              Epochs (default 10).
          --batch-size B          Images per batch (default 16).
          --optimizer O           sgd (momentum 0.9, Nesterov, weight decay 1e-4) or adam (default adam).
          --learning-rate LR      Initial learning rate, cosine-annealed (default 0.001 adam, 0.01 sgd).
          --alpha A               Focal loss weight of positives (default 0.25; gamma is 2).
          --fraction F            Train on this fraction of the training part (default 1), for learning curves.
          --balanced              Draw positives and negatives equally often.
          --no-augment            Train without the augmentation pipeline.
          --seed S                Seed of initialisation, order and augmentation (default 1).
          --split-seed S          Seed of the split (default 1).
          --threads T             Threads for BLAS and decoding (default 2).
          --out FILE              Best checkpoint (default best.safetensors).
          --json                  Print the final figures as JSON.
          -h, --help              Show help information.
        """,
        run: run
    )

    static func run(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let directory = try arguments.required("--data", placeholder: "DIR")
        let modelName = try arguments.option("--model") ?? ModelKind.resnet18.rawValue
        let size = try arguments.integer("--image-size", default: 128, in: 32...1024)
        let epochs = try arguments.integer("--epochs", default: 10, in: 1...10_000)
        let batchSize = try arguments.integer("--batch-size", default: 16, in: 1...4096)
        let optimizerName = try arguments.option("--optimizer") ?? "adam"
        let learningRate = try arguments.number("--learning-rate", default: optimizerName == "adam" ? 0.001 : 0.01, in: 1e-7...10)
        let alpha = try arguments.number("--alpha", default: 0.25, in: 0...1)
        let fraction = try arguments.number("--fraction", default: 1, in: 0.01...1)
        let balanced = try arguments.flag("--balanced")
        let noAugment = try arguments.flag("--no-augment")
        let seed = UInt64(try arguments.integer("--seed", default: 1, in: 0...Int.max))
        let splitSeed = UInt64(try arguments.integer("--split-seed", default: 1, in: 0...Int.max))
        let threads = try arguments.integer("--threads", default: 2, in: 1...64)
        let out = try arguments.option("--out") ?? "best.safetensors"
        let json = try arguments.flag("--json")
        try arguments.finish()
        guard let kind = ModelKind(rawValue: modelName) else { throw arguments.usage("unknown --model '\(modelName)'; expected \(ModelKind.choices)") }
        guard let optimizer = TrainingRecipe.OptimizerKind(rawValue: optimizerName) else {
            throw arguments.usage("unknown --optimizer '\(optimizerName)'; expected \(TrainingRecipe.OptimizerKind.choices)")
        }

        BLAS.setThreadCount(threads)
        let started = ContinuousClock.now
        let data = try DatasetLoading(directory: directory, seed: splitSeed, command: "peer train")
        let trainItems = subset(data.split.train, fraction: fraction, seed: splitSeed)
        console.diagnostic("\(directory): \(data.dataset.items.count) labelled images; training on \(trainItems.count), validating on \(data.split.validation.count), testing on \(data.split.test.count)\n")
        let training = try DatasetLoading.load(trainItems, size: size, name: "training", console: console)
        let validation = try DatasetLoading.load(data.split.validation, size: size, name: "validation", console: console)

        var recipe = TrainingRecipe(model: kind, imageSize: size, batchSize: batchSize, optimizer: optimizer, learningRate: learningRate,
                                    totalEpochs: epochs, seed: seed)
        recipe.alpha = alpha
        recipe.balanced = balanced
        recipe.augment = !noAugment
        var generator = SeededGenerator(seed: seed)
        let session = TrainingSession(recipe: recipe, model: kind.make(using: &generator))
        let stepsPerEpoch = session.batchesPerEpoch(of: training)
        let meter = ProgressMeter(total: epochs * stepsPerEpoch, unit: "steps", console: console)
        var best: (auc: Double, epoch: Int, threshold: Float)?
        var history: [[String: Any]] = []
        for epoch in 0..<epochs {
            let summary = session.train(epochs: 1, firstEpoch: epoch, on: training) { progress in
                meter.report(epoch * stepsPerEpoch + progress.batch + 1,
                             detail: String(format: "epoch %d/%d  loss %.4f  %.1f img/s", epoch + 1, epochs, progress.loss, progress.imagesPerSecond))
            }
            let evaluation = session.evaluate(on: validation)
            var report = DatasetLoading.report(evaluation)
            report["epoch"] = epoch + 1
            report["trainingLoss"] = summary.meanLoss
            history.append(report)
            meter.finish()
            console.diagnostic("epoch \(epoch + 1)/\(epochs): loss \(String(format: "%.4f", summary.meanLoss)); validation \(DatasetLoading.summary(report))\n")
            let auc = evaluation.auc ?? 0
            if best == nil || auc > best!.auc {
                best = (auc, epoch + 1, evaluation.threshold)
                try SafetensorsWriter.write(session.model.stateDict, to: out)
                try CheckpointNote(model: kind, imageSize: size, threshold: evaluation.threshold, epoch: epoch + 1).write(besides: out)
            }
        }
        guard let best else { throw CommandFailure("no epoch finished") }
        try StateDictLoading.load(try SafetensorsReader.read(contentsOf: out), into: session.model)
        let test = try DatasetLoading.load(data.split.test, size: size, name: "test", console: console)
        let testReport = DatasetLoading.report(session.evaluate(on: test, threshold: best.threshold))
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        if json {
            console.json(["model": kind.rawValue, "imageSize": size, "epochs": epochs, "bestEpoch": best.epoch, "checkpoint": out,
                          "trainingImages": trainItems.count, "test": testReport, "history": history, "seconds": seconds])
        } else {
            console.output("best epoch \(best.epoch) saved to \(out)\ntest: \(DatasetLoading.summary(testReport))\n")
        }
        return ExitStatus.success
    }

    /// A stratified, seeded `fraction` of `items`.
    static func subset(_ items: [SIIMDataset.Item], fraction: Double, seed: UInt64) -> [SIIMDataset.Item] {
        guard fraction < 1 else { return items }
        var chosen: [SIIMDataset.Item] = []
        for label in [false, true] {
            var group = items.filter { $0.isPositive == label }
            var generator = DataRandom(seed: seed, index: 100 + (label ? 1 : 0))
            group.shuffle(using: &generator)
            chosen += group.prefix(max(1, Int((Double(group.count) * fraction).rounded())))
        }
        return chosen.sorted { $0.imageID < $1.imageID }
    }
}

/// What a checkpoint needs besides its tensors: FILE.json beside FILE.safetensors.
struct CheckpointNote {
    let model: ModelKind
    let imageSize: Int
    let threshold: Float
    let epoch: Int

    static func path(besides checkpoint: String) -> String { checkpoint + ".json" }

    func write(besides checkpoint: String) throws {
        let object: [String: Any] = ["model": model.rawValue, "imageSize": imageSize, "threshold": Double(threshold), "epoch": epoch]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(Array(data), to: Self.path(besides: checkpoint))
    }

    /// The note beside `checkpoint`, or nil when there is none.
    /// - Throws: `CommandFailure` when it exists but cannot be understood.
    static func read(besides checkpoint: String) throws -> CheckpointNote? {
        let path = path(besides: checkpoint)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let model = (object["model"] as? String).flatMap(ModelKind.init(rawValue:)), let imageSize = object["imageSize"] as? Int,
              let threshold = object["threshold"] as? Double, let epoch = object["epoch"] as? Int else {
            throw CommandFailure("\(path) is not a checkpoint note (expected model, imageSize, threshold, epoch)")
        }
        return CheckpointNote(model: model, imageSize: imageSize, threshold: Float(threshold), epoch: epoch)
    }
}
