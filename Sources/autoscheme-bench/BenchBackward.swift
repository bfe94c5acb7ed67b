import ArgumentParser
import CLISupport
import Foundation
import Model
import TensorCore

/// `autoscheme-bench backward [MODEL]`: forward tokens/s (embedding, blocks, logits of every
/// position) beside forward+backward tokens/s of `ModelGradients` (loss and dL/dW of every linear
/// layer, blocks recomputed from their cached inputs), both on the same resident weights and the
/// same seeded random windows, in wall and CPU time, and the process's peak RSS (getrusage maxrss).
/// Goal: the backward share (forward+backward minus forward) at most 2.5x the forward time.
struct BenchBackwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backward",
        abstract: "Time the forward pass and the reverse pass (gradients of every linear layer); print a table.")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.")
    var model: String?

    @Option(help: "Tokens per window.")
    var ctx = 512

    @Option(help: "Windows per timed pass (one batch; after one warm-up pass of one window).")
    var windows = 2

    func validate() throws {
        guard ctx >= 2, windows >= 1 else {
            throw ValidationError("--ctx must be at least 2 and --windows at least 1, got \(ctx) and \(windows).")
        }
    }

    func run() throws {
        let d = try ModelLoader.open(try ModelLoader.resolve(model))
        let resident = try LlamaModel(config: d.config, source: d.tensors, ropeLayout: d.ropeLayout).resident()
        var rng = SplitMix64(seed: 1)
        let batch = (0..<windows).map { _ in BenchMeasure.randomTokens(ctx, vocabulary: d.config.vocabSize, rng: &rng) }
        _ = try ModelGradients.compute(model: resident, windows: [Array(batch[0].prefix(min(ctx, 64)))],
                                       wanting: [.weight]) { _, _ in }
        let forward = try BenchMeasure.time { _ = try resident.logits(sequences: batch) }
        var loss = 0.0
        let withWeights = try BenchMeasure.time {
            loss = try ModelGradients.compute(model: resident, windows: batch, wanting: [.weight]) { _, _ in }.loss
        }
        let withoutWeights = try BenchMeasure.time {
            _ = try ModelGradients.compute(model: resident, windows: batch, wanting: []) { _, _ in }
        }
        let tokens = Double(windows * ctx)
        print("model: \(d.path)  (\(grouped(d.parameterCount)) parameters, \(windows) x \(ctx) tokens, \(BLAS.threads) BLAS threads)")
        print(String(format: "loss on random tokens: %.4f nats", loss))
        print("| measurement                     | wall         | CPU          | goal     |")
        print("|---------------------------------|--------------|--------------|----------|")
        func rate(_ t: BenchMeasure.Timing) -> [String] { [String(format: "%.0f", tokens / t.wall), String(format: "%.0f", tokens / t.cpu)] }
        func ratio(_ t: BenchMeasure.Timing) -> [String] {
            [String(format: "%.2f", (t.wall - forward.wall) / forward.wall), String(format: "%.2f", (t.cpu - forward.cpu) / forward.cpu)]
        }
        print(row("forward tokens/s", rate(forward), "-"))
        print(row("forward+backward tokens/s (dW)", rate(withWeights), "-"))
        print(row("backward / forward time (dW)", ratio(withWeights), "<= 2.5"))
        print(row("forward+backward tokens/s (dX)", rate(withoutWeights), "-"))
        print(row("backward / forward time (dX)", ratio(withoutWeights), "<= 2.5"))
        print(row("peak RSS", [String(format: "%.2f GB", BenchMeasure.peakRSSGigabytes()), ""], "-"))
    }

    private func row(_ name: String, _ values: [String], _ goal: String) -> String {
        BenchMeasure.row([name] + values + [goal], widths: [31] + values.map { _ in 12 } + [8])
    }
}
