import Crypto
internal import Foundation
import Gossip
import Learn
import Peer

/// `peer bench`: measurements of this machine, written where the README's figures come from.
enum BenchCommand {
    static let command = Command(
        name: "bench",
        summary: "Measure this machine (mask expansion, transport, secure aggregation).",
        usage: "peer bench <subcommand> [options]",
        subcommands: [crypto, transport, aggregation, learn, data]
    )

    static let learn = Command(
        name: "learn",
        summary: "ResNet-18 training speed (forward, backward, SGD step) and the sgemm ceiling.",
        usage: "peer bench learn [--threads T] [--steps S] [--sizes LIST] [--pytorch FILE] [--out FILE]",
        details: """
        OPTIONS:
          --threads T             OpenBLAS threads (default 2).
          --steps S               Timed training steps of batch 16 per size, after one warm-up (default 3).
          --sizes LIST            Image sizes (default 128,256).
          --pytorch FILE          JSON from tools/bench-pytorch.py, shown beside (make bench runs it).
          --out FILE              Also write the results as Markdown to FILE.
          -h, --help              Show help information.
        """,
        run: runLearn
    )

    static func runLearn(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let threads = try arguments.integer("--threads", default: 2, in: 1...64)
        let steps = try arguments.integer("--steps", default: 3, in: 1...100)
        let sizesText = try arguments.option("--sizes") ?? "128,256"
        let pytorchPath = try arguments.option("--pytorch")
        let outPath = try arguments.option("--out")
        try arguments.finish()
        let sizes = try sizesText.split(separator: ",").map { text throws(UsageError) -> Int in
            guard let size = Int(text), (32...1024).contains(size) else { throw arguments.usage("'--sizes' takes sizes in 32...1024, got '\(text)'") }
            return size
        }
        let pytorch = try pytorchPath.map { path -> [String: Double] in
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
            return (object as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        } ?? [:]
        BLAS.setThreadCount(threads)
        // The ceiling: one large sgemm.
        let n = 1024
        let a = [Float](repeating: 1, count: n * n), b = [Float](repeating: 0.5, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        let gemmSeconds = medianSeconds(3) { BLAS.gemm(m: n, n: n, k: n, a: a, b: b, c: &c) }
        let gigaflops = 2 * Double(n * n * n) / gemmSeconds / 1e9
        console.diagnostic(String(format: "bench: sgemm %d^3 at %.1f GFLOP/s\n", n, gigaflops))
        var rows = """
            | image size | batch | peer (images/s) | PyTorch (images/s) | peer / PyTorch | peer step (ms) | its sgemm floor (ms) | PyTorch step (ms) |
            |---:|---:|---:|---:|---:|---:|---:|---:|

            """
        var floors: [Int: Double] = [:]
        var generator = SeededGenerator(seed: 1)
        var profiles = ""
        for size in sizes {
            let model = ResNet(classCount: 1, depth: .resNet18, inputChannels: 1, using: &generator)
            let optimizer = SGD(learningRate: 0.01, momentum: 0.9)
            let loss = FocalLoss(gamma: 0, alpha: 0.5)
            let images = Tensor(shape: [16, 1, size, size], values: (0..<(16 * size * size)).map { _ in Float.random(in: 0...1, using: &generator) })
            let labels = (0..<16).map { Float($0 % 2) }
            func step() {
                let logits = model.forward(images, training: true)
                _ = model.backward(Tensor(shape: logits.shape, values: loss.lossAndGradient(logits: logits.values, labels: labels).gradient))
                optimizer.step(model.parameters)
            }
            let seconds = medianSeconds(steps, step)
            profiles += layerProfile(size: size, model: model, images: images, labels: labels, loss: loss, optimizer: optimizer)
            let floor = (0..<3).map { _ in ConvolutionFloor.seconds(size: size, batch: 16) }.sorted()[1]
            floors[size] = floor
            let ours = 16 / seconds
            let theirs = pytorch[String(size)]
            console.diagnostic(String(format: "bench: ResNet-18 at %d px: %.1f images/s (sgemm floor %.0f ms of a %.0f ms step)\n",
                                      size, ours, floor * 1000, seconds * 1000))
            let format = { (value: Double?, pattern: String) in value.map { String(format: pattern, $0) } ?? "-" }
            rows += "| \(size) | 16 | \(format(ours, "%.1f")) | \(format(theirs, "%.1f")) | \(format(theirs.map { ours / $0 }, "%.2fx"))"
                + " | \(format(seconds * 1000, "%.0f")) | \(format(floor * 1000, "%.0f")) | \(format(theirs.map { 16000 / $0 }, "%.0f")) |\n"
        }
        let floorExplanation = sizes.first.flatMap { size in floors[size].map { (size, $0) } }.map { size, floor in
            let forward = ConvolutionFloor.forwardFlops(size: size) * 16 / 1e9
            let theirs = pytorch[String(size)].map { String(format: "%.0f ms", 16000 / $0) } ?? "(not measured in this run)"
            return """
            Why PyTorch is still ahead: the sgemm floor column times the products of the step's convolutions
            alone, at the step's own shapes: the forward product, the weight gradient and the column gradient
            of every convolution (\(String(format: "%.1f", forward)) GFLOP forward at \(size) px, about three times that per step). At \(size) px
            that floor is \(String(format: "%.0f", floor * 1000)) ms; PyTorch's whole step is \(theirs). With im2col and OpenBLAS's sgemm no work
            around the products reaches PyTorch here: the early layers' shapes (64 output channels, tens of
            thousands of columns) run well under the ceiling above, while PyTorch's CPU convolutions (oneDNN)
            are direct kernels that never build a column matrix. A Winograd F(2x2, 3x3) trial for the 3x3
            stride-1 layers (2.25x fewer multiplications, as 16 sgemms per layer of output channels x tiles
            x input channels) ran at 32 images/s against 33 at 128 px: those products are short in their
            inner dimension (64 channels in the first stage) and far below the ceiling, and the tile
            transforms cost the rest, so it was not kept. Reaching PyTorch needs convolution kernels of our
            own that block for the cache, not a different sgemm. The rest of our step above the floor is memory traffic: building and scattering
            column matrices, the block transposes, and batch norm and ReLU over freshly allocated
            activations; the profile below has it layer by layer.
            """
        } ?? ""
        let text = """
            OpenBLAS threads: \(threads), worker polling after each sgemm: \(RuntimeTuning.value(of: "OPENBLAS_THREAD_TIMEOUT").map { "2^\($0) cycles (OPENBLAS_THREAD_TIMEOUT=\($0))" } ?? "OpenBLAS's default 2^28 cycles"); sgemm \(n)x\(n)x\(n): \(String(format: "%.1f", gigaflops)) GFLOP/s (the ceiling).

            \(rows)
            """
        if let outPath {
            try """
            # Learn benchmark: ResNet-18 training speed

            Written by `peer bench learn --threads \(threads) --steps \(steps) --sizes \(sizesText)\(pytorchPath.map { " --pytorch \($0)" } ?? "") --out \(outPath)` (`make bench`) on \(ISO8601DateFormatter().string(from: Date())).
            PyTorch figures: `tools/bench-pytorch.py --threads \(threads)` (torch 2.13.0 CPU from PyPI), same shapes, same run of `make bench`.

            - Machine: \(MachineDescription.current)
            - One step: forward in training mode, focal loss, backward, SGD with momentum; batch 16, 1 channel, 1 logit.

            \(text)
            Where the time goes: each convolution is im2col + one sgemm over the whole batch (OpenBLAS).
            im2col, col2im, batch norm, max pooling, ReLU, the residual additions and the optimiser run
            on the same threads; column matrices and the transient products are reused from step to step;
            the stem convolution skips its input gradient (its input is the data); OpenBLAS's workers
            sleep right after each sgemm instead of polling beside those passes (`peer` runs with
            OPENBLAS_THREAD_TIMEOUT=4: 25 images/s at 128 px before, about 30 after).

            \(floorExplanation)

            ## Per-layer profile

            One more training step per size with `LayerProfile` on: wall time of each layer's forward and
            backward pass (milliseconds per step), by kind and for the slowest layers.

            \(profiles)
            """.write(toFile: outPath, atomically: true, encoding: .utf8)
            console.diagnostic("bench: wrote \(outPath)\n")
        }
        console.output(text)
        return ExitStatus.success
    }

    /// One profiled training step of `model`: milliseconds by layer kind and for the slowest layers, as Markdown.
    static func layerProfile(size: Int, model: ResNet, images: Tensor, labels: [Float], loss: FocalLoss, optimizer: SGD) -> String {
        let clock = ContinuousClock()
        LayerProfile.start()
        var optimizerSeconds = 0.0
        let total = clock.measure {
            let logits = model.forward(images, training: true)
            _ = model.backward(Tensor(shape: logits.shape, values: loss.lossAndGradient(logits: logits.values, labels: labels).gradient))
            optimizerSeconds = clock.measure { optimizer.step(model.parameters) } / .seconds(1)
        } / .seconds(1)
        let entries = LayerProfile.stop()
        let milliseconds = { (seconds: Double) in String(format: "%.1f", seconds * 1000) }
        var kinds: [String: (forward: Double, backward: Double)] = [:]
        for entry in entries {
            kinds[entry.kind, default: (0, 0)].forward += entry.forwardSeconds
            kinds[entry.kind, default: (0, 0)].backward += entry.backwardSeconds
        }
        let layers = kinds.values.reduce(0) { $0 + $1.forward + $1.backward }
        var text = "### \(size) px, batch 16: \(milliseconds(total)) ms per step\n\n| kind | forward (ms) | backward (ms) | share |\n|---|---:|---:|---:|\n"
        for (kind, time) in kinds.sorted(by: { $0.value.forward + $0.value.backward > $1.value.forward + $1.value.backward }) {
            text += "| \(kind) | \(milliseconds(time.forward)) | \(milliseconds(time.backward)) | \(String(format: "%.0f%%", 100 * (time.forward + time.backward) / total)) |\n"
        }
        text += "| optimiser (SGD step) | | \(milliseconds(optimizerSeconds)) | \(String(format: "%.0f%%", 100 * optimizerSeconds / total)) |\n"
        let rest = total - layers - optimizerSeconds
        text += "| loss, model glue, allocation between layers | | \(milliseconds(rest)) | \(String(format: "%.0f%%", 100 * rest / total)) |\n\n"
        text += "Slowest layers:\n\n| layer | kind | forward (ms) | backward (ms) |\n|---|---|---:|---:|\n"
        for entry in entries.prefix(8) {
            text += "| \(entry.name) | \(entry.kind) | \(milliseconds(entry.forwardSeconds)) | \(milliseconds(entry.backwardSeconds)) |\n"
        }
        return text + "\n"
    }

    static let aggregation = Command(
        name: "aggregation",
        summary: "A secure round on loopback against plain float summation, and simulated large federations.",
        usage: "peer bench aggregation [--peers N] [--dimension D] [--no-drop] [--simulated LIST] [--flower FILE] [--out FILE]",
        details: """
        OPTIONS:
          --peers N               Peers on loopback, complete topology (default 8).
          --dimension D           Model size in values (default 11170753, ResNet-18 with one input
                                  channel and one output).
          --no-drop               Do not crash a peer after the share phase (default: one drops).
          --simulated LIST        Comma-separated peer counts to simulate with regular:K masking
                                  (K = 2 ceil(log2 N)), 100,000 values and 10% drops (default 100,1000;
                                  "none" to skip).
          --flower FILE           JSON from tools/bench-flower.py (Flower's SecAgg+ on the same n and d),
                                  shown beside (make bench runs it).
          --out FILE              Also write the results as Markdown to FILE.
          -h, --help              Show help information.
        """,
        run: runAggregation
    )

    static func runAggregation(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let peers = try arguments.integer("--peers", default: 8, in: 3...64)
        let dimension = try arguments.integer("--dimension", default: 11_170_753, in: 1...100_000_000)
        let noDrop = try arguments.flag("--no-drop")
        let simulatedText = try arguments.option("--simulated") ?? "100,1000"
        let outPath = try arguments.option("--out")
        let flowerPath = try arguments.option("--flower")
        try arguments.finish()
        let flower = try flowerPath.map { path -> [String: Any] in
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
            guard let figures = object as? [String: Any], figures["client_seconds_mean"] is NSNumber, figures["server_seconds"] is NSNumber else {
                throw arguments.usage("'--flower' takes the JSON of tools/bench-flower.py; \(path) has no client_seconds_mean and server_seconds")
            }
            return figures
        }
        let simulated = try simulatedText == "none" ? [] : simulatedText.split(separator: ",").map { text throws(UsageError) -> Int in
            guard let value = Int(text), (3...2000).contains(value) else { throw arguments.usage("'--simulated' takes peer counts in 3...2000, got '\(text)'") }
            return value
        }
        let progress: @Sendable (String) -> Void = { console.diagnostic("bench: \($0)\n") }
        let loopback = try await AggregationBenchmark.run(peers: peers, dimension: dimension, drop: !noDrop, progress: progress)
        var text = """
            ## \(peers) peers on loopback, \(dimension) values, \(loopback.dropped) dropped

            | measurement | figure |
            |---|---:|
            | secure round, wall (all peers in one process, 2 cores) | \(String(format: "%.2f s", loopback.secureSeconds)) |
            | plain float summation over the same tree, wall | \(String(format: "%.2f s", loopback.plainSeconds)) |
            | secure / plain | \(String(format: "%.1fx", loopback.secureSeconds / loopback.plainSeconds)) |
            | per-peer CPU (encode, mask, unmask; CPU time of its compute thread), mean / max | \(String(format: "%.3f s / %.3f s", loopback.computeSecondsMean, loopback.computeSecondsMax)) |
            \(flowerRows(flower, ours: loopback.computeSecondsMean))
            | unmasking | \(loopback.sharedUnmasking ? "shared among helpers nearest the coordinator" : "every peer alone") |
            | keystream expanded per peer | \(String(format: "%.0f MiB", loopback.keystreamBytesMean / 1_048_576)) |
            | all survivors hold the same exact sum | \(loopback.exact ? "yes" : "NO") |

            """
        console.diagnostic("bench: secure \(loopback.secureSeconds) s, plain \(loopback.plainSeconds) s\n")
        if !simulated.isEmpty {
            text += """

                ## Simulated federations (regular:K masking, 100,000 values, 10% of peers crash at random phases)

                | peers | K | threshold | contributors | wall | slowest masked-input | slowest unmask | bytes sent per peer (mean) | keystream per peer (mean) | exact |
                |---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|

                """
            for count in simulated {
                let degree = 2 * Int(log2(Double(count)).rounded(.up))
                let (topology, identities) = try SimulateCommand.makeTopology(path: nil, peerCount: count, seed: 1, masking: .regular(degree: degree),
                                                                              threshold: nil, ringBits: nil)
                var simulation = Simulation.Request(topology: topology, identities: identities, dimension: 100_000)
                simulation.dropFraction = 0.1
                simulation.phaseTimeout = .seconds(60)
                progress("simulating \(count) peers, regular:\(degree)")
                let report = try await Simulation.run(simulation, progress: progress)[0]
                func phase(_ name: String) -> String { report.phaseSeconds.first { $0.phase == name }.map { String(format: "%.2f s", $0.seconds) } ?? "-" }
                text += "| \(count) | \(degree) | \(topology.aggregation.threshold) | \(report.contributors.count) | \(String(format: "%.1f s", report.wallSeconds)) | \(phase("masked-input")) | \(phase("unmask")) | \(SimulateCommand.bytes(report.bytesSentMean)) | \(SimulateCommand.bytes(report.maskBytesMean)) | \(report.survivorsAgree && report.maximumError <= report.errorBound ? "yes" : "NO") |\n"
            }
        }
        if let outPath {
            try """
            # Aggregation benchmark: the cost of privacy

            Written by `peer bench aggregation --peers \(peers) --dimension \(dimension)\(noDrop ? " --no-drop" : "") --simulated \(simulatedText)\(flowerPath.map { " --flower \($0)" } ?? "") --out \(outPath)` (`make bench`) on \(ISO8601DateFormatter().string(from: Date())).

            - Machine: \(MachineDescription.current)
            - libsodium \(CryptoBackend.version); 32-bit ring, 16 fraction bits, complete masking on loopback.
            - Flower SecAgg+: \(flower.map { figures in "flwr \(figures["flwr"] ?? "?")'s own functions (`tools/bench-flower.py`, which `make bench` runs just before this), n = \(peers), d = \(dimension), one drop, complete masking; CPU time of each role" } ?? "not run (pass `--flower FILE` from tools/bench-flower.py)"). The issue's
              reference for it on this machine: 0.73 s per client plus 1.39 s at its server, 18x plain numpy
              averaging. Per-peer CPU here covers both roles: a peer masks its input and removes masks from
              the sum.
            - Unmasking: with few masks to remove (at most a peer's own K + 1, as in a round without
              drops) every peer removes them all itself; with more (8 peers, complete masking and one
              drop: 14 against 8; the simulated federations) the fewest helpers nearest the coordinator
              share the work, at most K + 1 masks each, and the others remove none (docs/PROTOCOL.md,
              phase 5): with 8 peers the coordinator and one neighbour remove 7 each.
            - The loopback figures are each kind of round's second run (a federation runs round after
              round; a first round also pays for memory the process touches for the first time): plain
              summation twice, then a secure round without a drop, then the measured one with a drop.

            \(text)
            """.write(toFile: outPath, atomically: true, encoding: .utf8)
            console.diagnostic("bench: wrote \(outPath)\n")
        }
        console.output(text)
        return loopback.exact ? ExitStatus.success : ExitStatus.failure
    }

    /// Flower's figures beside ours, and the target (a tenth of Flower's client + server).
    static func flowerRows(_ flower: [String: Any]?, ours: Double) -> String {
        guard let flower, let client = (flower["client_seconds_mean"] as? NSNumber)?.doubleValue,
              let server = (flower["server_seconds"] as? NSNumber)?.doubleValue else {
            return "| the target: a tenth of Flower's 0.73 s per client + 1.39 s at its server (the issue's figures) | 0.212 s |"
        }
        var rows = "| Flower SecAgg+ CPU, per client / at the server (`--flower` file) | \(String(format: "%.3f s / %.3f s", client, server)) |\n"
        rows += "| the target: a tenth of Flower's client + server | \(String(format: "%.3f s", (client + server) / 10)) |\n"
        rows += "| per-peer CPU here / Flower's client + server | \(String(format: "%.2f", ours / (client + server))) |"
        if let plain = (flower["plain_numpy_seconds"] as? NSNumber)?.doubleValue {
            rows += "\n| Flower's server / plain numpy averaging of the same vectors | \(String(format: "%.1fx", server / plain)) |"
        }
        return rows
    }

    static let transport = Command(
        name: "transport",
        summary: "One encrypted channel on loopback against raw TCP and raw secretstream.",
        usage: "peer bench transport [--megabytes M] [--repetitions R] [--out FILE] [--json]",
        details: """
        OPTIONS:
          --megabytes M           MiB moved per measurement (default 512).
          --repetitions R         Timed runs per figure; the median is reported (default 3).
          --out FILE              Also write the results as Markdown to FILE.
          --json                  Print the results as JSON.
          -h, --help              Show help information.
        """,
        run: runTransport
    )

    static func runTransport(_ arguments: inout Arguments, console: Console) async throws -> Int32 {
        let megabytes = try arguments.integer("--megabytes", default: 512, in: 1...65536)
        let repetitions = try arguments.integer("--repetitions", default: 3, in: 1...100)
        let outPath = try arguments.option("--out")
        let json = try arguments.flag("--json")
        try arguments.finish()
        let byteCount = megabytes << 20
        let measurements: [(String, @Sendable () async throws -> Double)] = [
            ("raw secretstream sealing", { try TransportBenchmark.secretStreamSeconds(byteCount: byteCount) }),
            ("raw TCP on loopback", { try await TransportBenchmark.rawTCPSeconds(byteCount: byteCount) }),
            ("encrypted channel (Transport)", { try await TransportBenchmark.channelSeconds(byteCount: byteCount) }),
        ]
        var figures: [Figure] = []
        for (name, measure) in measurements {
            var times: [Double] = []
            for _ in 0..<repetitions { times.append(try await measure()) }
            let figure = Figure(name: name, wordBits: nil, threads: 1, seconds: times.sorted()[times.count / 2], byteCount: byteCount)
            figures.append(figure)
            console.diagnostic(String(format: "bench: %@ %.3f GB/s\n", name as NSString, figure.gigabytesPerSecond))
        }
        let command = "peer bench transport --megabytes \(megabytes) --repetitions \(repetitions)"
        var text = "| measurement | GB/s | vs raw TCP |\n|---|---:|---:|\n"
        for figure in figures {
            text += String(format: "| %@ | %.3f | %.2fx |\n", figure.name as NSString, figure.gigabytesPerSecond,
                           figure.gigabytesPerSecond / figures[1].gigabytesPerSecond)
        }
        if let outPath {
            try """
            # Transport benchmark: one encrypted channel on loopback

            Written by `\(command) --out benchmarks/results/transport.md` (`make bench`) on \(ISO8601DateFormatter().string(from: Date())).

            - Machine: \(MachineDescription.current)
            - libsodium \(CryptoBackend.version)
            - Each row moves \(megabytes) MiB in 16 MiB pieces; median of \(repetitions) runs. The channel row is two
              `Transport`s (handshake done before timing) sending 16 MiB messages, each sealed as one
              secretstream frame, received and reassembled by the other side's handler.
            - The channel seals on one core and opens on the other, each at about the raw sealing rate,
              and copies each frame a few times (frame assembly, socket reads, reassembly); raw TCP on
              loopback is a memory copy in the kernel. One channel at this rate far exceeds a hospital's
              network link, so the transport is not the bottleneck of a round.

            \(text)
            """.write(toFile: outPath, atomically: true, encoding: .utf8)
            console.diagnostic("bench: wrote \(outPath)\n")
        }
        if json {
            console.json(["command": command, "megabytes": megabytes,
                          "figures": figures.map { ["name": $0.name, "seconds": $0.seconds, "gigabytesPerSecond": $0.gigabytesPerSecond] }])
        } else {
            console.output(text)
        }
        return ExitStatus.success
    }

    static let crypto = Command(
        name: "crypto",
        summary: "Mask expansion (Salsa20 into ring words) against the raw keystream.",
        usage: "peer bench crypto [--words N] [--repetitions R] [--out FILE] [--json]",
        details: """
        OPTIONS:
          --words N               Vector length in ring words (default 11200000, ResNet-18's size).
          --repetitions R         Timed runs per figure; the median is reported (default 5).
          --out FILE              Also write the results as Markdown to FILE.
          --json                  Print the results as JSON.
          -h, --help              Show help information.

        Measures crypto_stream_salsa20 alone, then MaskGenerator adding a mask to a
        vector of 32- and 64-bit words with 1 and 2 threads.
        """,
        run: runCrypto
    )

    /// One measured configuration.
    struct Figure {
        let name: String
        let wordBits: Int?
        let threads: Int
        let seconds: Double
        let byteCount: Int

        var gigabytesPerSecond: Double { Double(byteCount) / seconds / 1e9 }
        var wordsPerSecond: Double? { wordBits.map { Double(byteCount * 8 / $0) / seconds } }
    }

    static func runCrypto(_ arguments: inout Arguments, console: Console) throws -> Int32 {
        let words = try arguments.integer("--words", default: 11_200_000, in: 1...1_000_000_000)
        let repetitions = try arguments.integer("--repetitions", default: 5, in: 1...1000)
        let outPath = try arguments.option("--out")
        let json = try arguments.flag("--json")
        try arguments.finish()

        let generator = try MaskGenerator(seed: SecureBytes(randomCount: MaskGenerator.seedByteCount))
        var figures: [Figure] = []
        func record(_ figure: Figure) {
            figures.append(figure)
            console.diagnostic(String(format: "bench: %-34@ %7.3f GB/s\n", figure.name as NSString, figure.gigabytesPerSecond))
        }

        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: words * 8, alignment: 64)
        defer { raw.deallocate() }
        record(Figure(name: "raw crypto_stream_salsa20", wordBits: nil, threads: 1,
                      seconds: medianSeconds(repetitions) { generator.writeKeystream(into: raw) }, byteCount: raw.count))
        for threads in [1, 2] {
            var vector32 = [UInt32](repeating: 0, count: words)
            record(Figure(name: "mask UInt32, \(threads) thread(s)", wordBits: 32, threads: threads,
                          seconds: medianSeconds(repetitions) { generator.apply(.add, to: &vector32, threadCount: threads) },
                          byteCount: words * 4))
            var vector64 = [UInt64](repeating: 0, count: words)
            record(Figure(name: "mask UInt64, \(threads) thread(s)", wordBits: 64, threads: threads,
                          seconds: medianSeconds(repetitions) { generator.apply(.add, to: &vector64, threadCount: threads) },
                          byteCount: words * 8))
        }

        let command = "peer bench crypto --words \(words) --repetitions \(repetitions)"
        if let outPath {
            try markdown(figures, command: command, words: words, repetitions: repetitions)
                .write(toFile: outPath, atomically: true, encoding: .utf8)
            console.diagnostic("bench: wrote \(outPath)\n")
        }
        if json {
            console.json([
                "command": command, "words": words, "repetitions": repetitions, "libsodium": CryptoBackend.version,
                "figures": figures.map { figure -> [String: Any] in
                    var entry: [String: Any] = ["name": figure.name, "threads": figure.threads, "seconds": figure.seconds,
                                                "bytes": figure.byteCount, "gigabytesPerSecond": figure.gigabytesPerSecond]
                    if let bits = figure.wordBits { entry["wordBits"] = bits }
                    if let rate = figure.wordsPerSecond { entry["wordsPerSecond"] = rate }
                    return entry
                },
            ])
        } else {
            console.output(table(figures))
        }
        return ExitStatus.success
    }

    /// The median wall time of `repetitions` runs of `body`, after one warm-up run.
    static func medianSeconds(_ repetitions: Int, _ body: () -> Void) -> Double {
        body()
        let clock = ContinuousClock()
        let times = (0..<repetitions).map { _ in
            let duration = clock.measure(body)
            return duration / .seconds(1)
        }.sorted()
        return times[times.count / 2]
    }

    static func table(_ figures: [Figure]) -> String {
        let raw = figures.first { $0.wordBits == nil }?.gigabytesPerSecond ?? 1
        var text = "| measurement | threads | GB/s | words/s | vs raw keystream |\n|---|---:|---:|---:|---:|\n"
        for figure in figures {
            let words = figure.wordsPerSecond.map { String(format: "%.3g", $0) } ?? "-"
            text += String(format: "| %@ | %d | %.3f | %@ | %.2fx |\n", figure.name as NSString, figure.threads,
                           figure.gigabytesPerSecond, words as NSString, figure.gigabytesPerSecond / raw)
        }
        return text
    }

    static func markdown(_ figures: [Figure], command: String, words: Int, repetitions: Int) -> String {
        let date = ISO8601DateFormatter().string(from: Date())
        return """
        # Crypto benchmark: mask expansion

        Written by `\(command) --out benchmarks/results/crypto.md` (`make bench`) on \(date).

        - Machine: \(MachineDescription.current)
        - libsodium \(CryptoBackend.version)
        - Vector: \(words) ring words; median of \(repetitions) timed runs after one warm-up.
        - GB/s counts the bytes of mask added to the vector (words x word size); the raw row
          is `crypto_stream_salsa20` writing the same number of bytes as the 64-bit
          vector, on one thread, measured in the same run.

        \(table(figures))
        \(roundCost(figures, words: words))
        """
    }

    /// What the fastest 32-bit figure means for one round.
    static func roundCost(_ figures: [Figure], words: Int) -> String {
        guard let best = figures.filter({ $0.wordBits == 32 }).max(by: { $0.seconds > $1.seconds }) else { return "" }
        let milliseconds = best.seconds * 1000
        return String(format: """
            One mask of %d 32-bit words takes %.1f ms here (%d threads). A peer expands one mask per
            mask neighbour plus its self-mask when it sends its input, and again for each dropped
            peer it unmasks: with complete masking among 10 peers that is about %.0f ms per round.

            """, words, milliseconds, best.threads, milliseconds * 10)
    }
}
