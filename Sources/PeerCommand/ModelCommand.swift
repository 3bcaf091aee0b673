import Crypto
internal import Foundation
import Learn

/// `peer model`: checkpoints of the federation's model.
enum ModelCommand {
    static let command = Command(
        name: "model",
        summary: "Create, run and evaluate model checkpoints (safetensors, torchvision names).",
        usage: "peer model <subcommand> [options]",
        subcommands: [initialize, forward, evaluate]
    )

    static let forward = Command(
        name: "forward",
        summary: "Eval-mode logits of a ResNet-18 checkpoint for the images of a safetensors file.",
        usage: "peer model forward --weights FILE --input FILE --output FILE",
        details: """
        OPTIONS:
          --weights FILE          A resnet18 checkpoint (torchvision names, 1 channel, 1 logit), e.g.
                                  from 'peer model init'; loaded strictly.
          --input FILE            A safetensors file with a float32 tensor "input" of shape (N, 1, H, W).
          --output FILE           Written with a float32 tensor "logits" of shape (N, 1).
          -h, --help              Show help information.
        """,
        run: runForward
    )

    static func runForward(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let weights = try arguments.required("--weights", placeholder: "FILE")
        let inputPath = try arguments.required("--input", placeholder: "FILE")
        let output = try arguments.required("--output", placeholder: "FILE")
        try arguments.finish()
        let model = try loadCheckpoint(weights, kind: .resnet18, command: "peer model forward")
        let entries: [SafetensorsReader.Entry]
        do { entries = try SafetensorsReader.read(contentsOf: inputPath) } catch {
            throw UsageError(message: "\(inputPath): \(error)", command: "peer model forward")
        }
        guard let input = entries.first(where: { $0.name == "input" }), case .float32(let values) = input.values,
              input.shape.count == 4, input.shape[1] == 1, input.shape[2] >= 32, input.shape[3] >= 32 else {
            throw UsageError(message: "\(inputPath): needs a float32 tensor \"input\" of shape (N, 1, H, W) with H, W >= 32",
                             command: "peer model forward")
        }
        let logits = model.forward(Tensor(shape: input.shape, values: values), training: false)
        try SafetensorsWriter.write([.init(name: "logits", shape: logits.shape, values: logits.values)], to: output)
        console.output("wrote \(output): logits of \(input.shape[0]) images\n")
        return ExitStatus.success
    }

    static let initialize = Command(
        name: "init",
        summary: "Write a freshly initialised model as safetensors.",
        usage: "peer model init --model resnet18|small-cnn --seed S --out FILE.safetensors [--force] [--json]",
        details: """
        OPTIONS:
          --model M               resnet18 (1 input channel, 1 logit: 11,170,753 parameters) or small-cnn.
          --seed S                Seed of the initialisation (PyTorch's scheme: Kaiming-normal
                                  convolutions, batch norm 1 and 0, uniform final layer).
          --out FILE              The checkpoint to write (atomically).
          --force                 Replace FILE if it exists.
          --json                  Print {"path", "parameters", "tensors"} as JSON.
          -h, --help              Show help information.

        The tensor names and shapes are those of torchvision's resnet18 state_dict with conv1
        replaced by Conv2d(1, 64, 7, 2, 3, bias=False) and fc by Linear(512, 1).
        """,
        run: runInit
    )

    static func runInit(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let model = try arguments.required("--model", placeholder: "resnet18|small-cnn")
        let seed = try arguments.integer("--seed", default: -1, in: -1...Int.max)
        let out = try arguments.required("--out", placeholder: "FILE.safetensors")
        let force = try arguments.flag("--force")
        let json = try arguments.flag("--json")
        try arguments.finish()
        guard seed >= 0 else { throw arguments.usage("missing '--seed S'") }
        var generator = SeededGenerator(seed: UInt64(seed))
        guard let kind = ModelKind(rawValue: model) else { throw arguments.usage("unknown --model '\(model)'; expected \(ModelKind.choices)") }
        let layer = kind.make(using: &generator)
        if !force, FileManager.default.fileExists(atPath: out) {
            throw CommandFailure("\(out) already exists; choose another path or pass --force to replace it")
        }
        let state = layer.stateDict
        try SafetensorsWriter.write(state, to: out)
        let parameterCount = layer.parameters.reduce(0) { $0 + $1.value.count }
        if json {
            console.json(["path": out, "parameters": parameterCount, "tensors": state.count])
        } else {
            console.output("wrote \(out): \(model), \(parameterCount) parameters in \(state.count) tensors\n")
        }
        return ExitStatus.success
    }

    // MARK: - evaluate

    static let evaluate = Command(
        name: "evaluate",
        summary: "F1, precision, recall, ROC AUC and confusion matrix of a checkpoint on a data directory.",
        usage: "peer model evaluate --weights FILE --data DIR [--part test|validation|all] [--json]",
        details: """
        The directory is split as 'peer train' splits it (same --split-seed), and the chosen part is
        scored. F1 is reported at 0.5 and at the threshold chosen on validation: the one recorded in
        FILE.json by 'peer train', else the F1-maximising threshold on the validation part.

        OPTIONS:
          --weights FILE          A checkpoint (safetensors), loaded strictly.
          --data DIR              Directory with DICOM files and train-rle.csv.
          --part P                test (default), validation, or all images.
          --model M               \(ModelKind.choices); default from FILE.json, else resnet18.
          --image-size S          Default from FILE.json, else 128.
          --split-seed S          Seed of the split (default 1, as 'peer train').
          --threads T             Threads for BLAS and decoding (default 2).
          --json                  Print the figures as JSON.
          -h, --help              Show help information.
        """,
        run: runEvaluate
    )

    static func runEvaluate(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let weights = try arguments.required("--weights", placeholder: "FILE")
        let directory = try arguments.required("--data", placeholder: "DIR")
        let part = try arguments.option("--part") ?? "test"
        let modelName = try arguments.option("--model")
        let sizeOption = try arguments.integer("--image-size", default: 0, in: 0...1024)
        let splitSeed = UInt64(try arguments.integer("--split-seed", default: 1, in: 0...Int.max))
        let threads = try arguments.integer("--threads", default: 2, in: 1...64)
        let json = try arguments.flag("--json")
        try arguments.finish()
        guard ["test", "validation", "all"].contains(part) else { throw arguments.usage("unknown --part '\(part)'; expected test, validation or all") }
        let note = try CheckpointNote.read(besides: weights)
        guard let kind = ModelKind(rawValue: modelName ?? note?.model.rawValue ?? ModelKind.resnet18.rawValue) else {
            throw arguments.usage("unknown --model '\(modelName ?? "")'; expected \(ModelKind.choices)")
        }
        let size = sizeOption > 0 ? sizeOption : note?.imageSize ?? 128
        guard size >= 32 else { throw arguments.usage("'--image-size' must be at least 32") }
        BLAS.setThreadCount(threads)
        let model = try loadCheckpoint(weights, kind: kind, command: "peer model evaluate", choosable: true)
        let data = try DatasetLoading(directory: directory, seed: splitSeed, command: "peer model evaluate")
        var threshold = note?.threshold
        if threshold == nil {
            let validation = try DatasetLoading.load(data.split.validation, size: size, name: "validation", console: console)
            threshold = Evaluation(logits: Scoring.logits(of: model, on: validation), labels: validation.labels, loss: FocalLoss()).threshold
        }
        let items = part == "test" ? data.split.test : part == "validation" ? data.split.validation : data.dataset.items
        let library = try DatasetLoading.load(items, size: size, name: part, console: console)
        var report = DatasetLoading.report(Evaluation(logits: Scoring.logits(of: model, on: library), labels: library.labels, loss: FocalLoss(),
                                                      threshold: threshold!))
        report["part"] = part
        report["model"] = kind.rawValue
        report["imageSize"] = size
        report["thresholdSource"] = note == nil ? "validation" : "checkpoint note"
        if json {
            console.json(report)
        } else {
            console.output("\(part) (\(library.labels.count) images, \(report["positives"] ?? 0) positive): \(DatasetLoading.summary(report))\n")
        }
        return ExitStatus.success
    }

    /// A `kind` model with the checkpoint at `path` loaded strictly (`choosable`: the command takes --model). A malformed file or one of
    /// another model is a usage error naming the file; an unreadable file is a runtime failure.
    static func loadCheckpoint(_ path: String, kind: ModelKind, command: String, choosable: Bool = false) throws -> any Layer {
        var generator = SeededGenerator(seed: 0)
        let model = kind.make(using: &generator)
        do {
            try StateDictLoading.load(try SafetensorsReader.read(contentsOf: path), into: model)
        } catch let error as StateDictLoading.Mismatch {
            throw UsageError(message: "\(path): \(error) (is it a \(kind.rawValue) checkpoint?\(choosable ? " pass --model" : ""))", command: command)
        } catch let error as SafetensorsReader.Malformed {
            throw UsageError(message: "\(path): \(error)", command: command)
        } catch {
            throw CommandFailure("cannot read \(path): \(error.localizedDescription)")
        }
        return model
    }
}
