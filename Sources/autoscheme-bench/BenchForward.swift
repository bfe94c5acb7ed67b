import ArgumentParser
import CLISupport
import Foundation
import Model
import TensorCore

/// `autoscheme-bench forward [MODEL]`: forward-pass throughput at a context length beside the
/// FLOP-bound limit (2 x parameters x tokens at `--gflops` GFLOP/s), and the time and peak memory
/// (getrusage maxrss) of a block-by-block calibration capture. Goals: at least 50% of the limit;
/// capture of 128 x 512 tokens within 1.5 GB.
struct BenchForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Time the forward pass and the calibration capture; print a table.")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.")
    var model: String?

    @Option(help: "Tokens per window.")
    var ctx = 512

    @Option(help: "Windows timed (after one warm-up window).")
    var windows = 3

    @Option(help: "Dense-math speed of the machine in GFLOP/s (the limit's denominator).")
    var gflops = 200.0

    @Option(help: "Calibration samples for the capture measurement (0 skips it).")
    var calibrationSamples = 128

    func run() throws {
        let d = try ModelLoader.open(try ModelLoader.resolve(model))
        let llama = try LlamaModel(config: d.config, source: d.tensors, ropeLayout: d.ropeLayout)
        let captureRow = try calibrationSamples > 0 ? timeCapture(llama) : nil
        let resident = try llama.resident()
        var rng = SplitMix64(seed: 1)
        let tokens = BenchMeasure.randomTokens((windows + 1) * ctx, vocabulary: d.config.vocabSize, rng: &rng)
        _ = try resident.logits(sequences: [Array(tokens[0..<ctx])])
        let timing = try BenchMeasure.time {
            for w in 1...max(1, windows) {
                _ = try resident.logits(sequences: [Array(tokens[(w * ctx)..<((w + 1) * ctx)])])
            }
        }
        let rate = Double(max(1, windows) * ctx) / timing.wall
        let cpuRate = Double(max(1, windows) * ctx) / timing.cpu
        let limit = gflops * 1e9 / (2 * Double(d.parameterCount))
        print("model: \(d.path)  (\(grouped(d.parameterCount)) parameters, ctx \(ctx), \(BLAS.threads) BLAS threads)")
        print("| measurement                  | value        | goal             |")
        print("|------------------------------|--------------|------------------|")
        print(row("forward tokens/s", String(format: "%.0f", rate), String(format: ">= %.0f", limit / 2)))
        print(row("FLOP-bound limit tokens/s", String(format: "%.0f", limit), String(format: "%.0f GFLOP/s", gflops)))
        print(row("share of limit", String(format: "%.0f%%", 100 * rate / limit), ">= 50%"))
        // On a shared machine wall time undercounts; tokens per CPU-second x cores bounds the idle rate.
        print(row("tokens per CPU-second", String(format: "%.0f", cpuRate), String(format: ">= %.0f / core", limit / 4)))
        if let captureRow {
            print(row("capture \(calibrationSamples) x \(ctx) seconds", String(format: "%.1f", captureRow.seconds), "-"))
            print(row("capture peak RSS", String(format: "%.2f GB", captureRow.peakGB), "<= 1.5 GB"))
        }
    }

    /// Runs the capture over `calibrationSamples` random windows (before any resident weights exist).
    private func timeCapture(_ llama: LlamaModel) throws -> (seconds: Double, peakGB: Double) {
        var rng = SplitMix64(seed: 2)
        let text = BenchMeasure.randomTokens(ctx * 4, vocabulary: llama.config.vocabSize, rng: &rng)
        let options = CalibrationOptions(sampleCount: calibrationSamples, sequenceLength: ctx, seed: 3)
        let t0 = DispatchTime.now().uptimeNanoseconds
        let capture = try CalibrationCapture(model: llama, tokens: text, options: options)
        while let block = try capture.next() {
            FileHandle.standardError.write(Data("capture: block \(block.index + 1)/\(llama.config.numHiddenLayers)\r".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        return (seconds, BenchMeasure.peakRSSGigabytes())
    }

    private func row(_ name: String, _ value: String, _ goal: String) -> String {
        BenchMeasure.row([name, value, goal], widths: [28, 12, 16])
    }
}
