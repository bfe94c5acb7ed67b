import ArgumentParser
import Foundation
import Model
import TensorCore

/// `autoscheme bench backward [MODEL]`: forward tokens/s (embedding, blocks, logits of every
/// position) beside forward+backward tokens/s of `ModelGradients` (loss and dL/dW of every linear
/// layer, blocks recomputed from their cached inputs), both on the same resident weights and the
/// same seeded random windows, and the process's peak RSS (getrusage maxrss). Goal: the backward
/// share (forward+backward minus forward) at most 2.5x the forward time.
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

    func run() throws {
        do {
            guard ctx >= 2, windows >= 1 else {
                throw ValidationError("--ctx must be at least 2 and --windows at least 1, got \(ctx) and \(windows).")
            }
            let d = try ModelLoader.open(try ModelLoader.resolve(model))
            let resident = try LlamaModel(config: d.config, source: d.tensors, ropeLayout: d.ropeLayout).resident()
            var rng = SplitMix64(seed: 1)
            let batch = (0..<windows).map { _ in (0..<ctx).map { _ in Int(rng.next() % UInt64(d.config.vocabSize)) } }
            _ = try ModelGradients.compute(model: resident, windows: [Array(batch[0].prefix(min(ctx, 64)))],
                                           wanting: [.weight]) { _, _ in }
            let forward = try seconds { _ = try resident.logits(sequences: batch) }
            var loss = 0.0
            let withWeights = try seconds {
                loss = try ModelGradients.compute(model: resident, windows: batch, wanting: [.weight]) { _, _ in }.loss
            }
            let withoutWeights = try seconds {
                _ = try ModelGradients.compute(model: resident, windows: batch, wanting: []) { _, _ in }
            }
            let tokens = Double(windows * ctx)
            print("model: \(d.path)  (\(grouped(d.parameterCount)) parameters, \(windows) x \(ctx) tokens, \(BLAS.threads) BLAS threads)")
            print(String(format: "loss on random tokens: %.4f nats", loss))
            print("| measurement                     | value        | goal             |")
            print("|---------------------------------|--------------|------------------|")
            print(row("forward tokens/s", String(format: "%.0f", tokens / forward), "-"))
            print(row("forward+backward tokens/s (dW)", String(format: "%.0f", tokens / withWeights), "-"))
            print(row("backward / forward time (dW)", String(format: "%.2f", (withWeights - forward) / forward), "<= 2.5"))
            print(row("forward+backward tokens/s (dX)", String(format: "%.0f", tokens / withoutWeights), "-"))
            print(row("backward / forward time (dX)", String(format: "%.2f", (withoutWeights - forward) / forward), "<= 2.5"))
            print(row("peak RSS", String(format: "%.2f GB", peakRSSGigabytes()), "-"))
        } catch let error as ValidationError {
            throw error
        } catch { printError(error); throw ExitCode.failure }
    }

    /// Wall-clock seconds of `body`.
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    }

    private func peakRSSGigabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024 / 1e9
    }

    private func row(_ name: String, _ value: String, _ goal: String) -> String {
        "| " + name.padding(toLength: 31, withPad: " ", startingAt: 0) + " | "
            + value.padding(toLength: 12, withPad: " ", startingAt: 0) + " | "
            + goal.padding(toLength: 16, withPad: " ", startingAt: 0) + " |"
    }
}
