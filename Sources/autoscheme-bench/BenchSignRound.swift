import ArgumentParser
import CLISupport
import Dispatch
import Export
import Foundation
import Model
import Formats
import Quant
import TensorCore

/// `autoscheme-bench signround [MODEL]`: SignRound on the whole model with one format everywhere,
/// timed per layer kind, with the step loop's sgemm rate against the machine's sgemm limit.
/// Calibration windows are random token ids (the timing does not depend on the text).
struct BenchSignRound: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signround",
        abstract: "Time SignRound per layer kind and for the whole model; FLOP rate of the step loop.")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.") var model: String?
    @Option(help: "Format of every layer.") var format = "int4/g128"
    @Option(help: "SignRound iterations per layer.") var iters = 200
    @Option(help: "Calibration windows.") var nsamples = 32
    @Option(help: "Tokens per window.") var seqlen = 512
    @Option(help: "Blocks to run (default: all).") var blocks: Int?
    @Flag(inversion: .prefixedNo, help: "Quantized-input calibration (two streams); off by default, as in `quantize`.") var quantizedInput = false
    @Option(help: "How each step forms D H: \(SignRoundStepProduct.allCases.map(\.rawValue).joined(separator: ", ")).")
    var stepProduct = SignRoundStepProduct.automatic
    @Option(help: "SignRound scope: layer or block (all layers of a block on the block output MSE).")
    var scope: SignRoundScope = .layer
    @Option(parsing: .unconditional, help: "Windows per block-wise step (--scope block).") var batchSize = 8

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
        guard iters >= 0, nsamples > 0, seqlen > 1 else {
            throw ValidationError("iters must be >= 0, nsamples > 0 and seqlen > 1; got \(iters), \(nsamples), \(seqlen)")
        }
    }

    func run() throws {
        let description = try ModelLoader.open(try ModelLoader.resolve(model))
        let chosen = try QuantFormat(parsing: format)
        let llama = try LlamaModel(config: description.config, source: description.tensors, ropeLayout: description.ropeLayout)
        let count = min(blocks ?? llama.config.numHiddenLayers, llama.config.numHiddenLayers)
        var formats: [LayerID: QuantFormat] = [:]
        for b in 0..<count { for k in LinearKind.allCases { formats[LayerID(block: b, kind: k)] = chosen } }
        var rng = SplitMix64(seed: 1)
        let windows = (0..<nsamples).map { _ in BenchMeasure.randomTokens(seqlen, vocabulary: llama.config.vocabSize, rng: &rng) }
        var options = QuantizeOptions()
        options.signRound.iterations = iters
        options.quantizedInput = quantizedInput
        options.signRound.stepProduct = stepProduct
        options.scope = scope
        options.batchSize = batchSize
        let truncated = try TruncatedModel(llama, blocks: count)
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try PlanApplier(model: truncated.model, formats: formats, options: options).run(windows: windows)
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if scope == .block {
            BenchBlockSignRound(stats: result.stats, blocks: count, modelBlocks: llama.config.numHiddenLayers, total: total,
                                header: "Block-wise SignRound, \(chosen.name) on every layer, \(iters) iterations, batch "
                                    + "\(min(batchSize, nsamples)) of \(nsamples) x \(seqlen) tokens, \(count) blocks, \(BLAS.threads) BLAS threads",
                                iterations: iters).print()
            return
        }
        print("SignRound, \(chosen.name) on every layer, \(iters) iterations, \(nsamples) x \(seqlen) tokens, "
              + "quantized input \(quantizedInput ? "on" : "off"), \(count) blocks, \(BLAS.threads) BLAS threads, "
              + "step product \(stepProduct.rawValue)")
        print("| layer kind | shape (out x in) | layers | s per layer | CPU s per layer | sgemm-equivalent GFLOP/s (wall) | per CPU s | row updates per step |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        var loopSeconds = 0.0
        for kind in LinearKind.allCases {
            let rows = result.stats.filter { $0.name.hasSuffix(kind.modulePath) }
            let seconds = rows.reduce(0) { $0 + $1.seconds }, gflop = rows.reduce(0) { $0 + $1.gflop }
            let cpu = rows.reduce(0) { $0 + $1.cpuSeconds }
            let changed = rows.compactMap(\.rowUpdatesPerStep)
            let changedText = changed.isEmpty ? "sgemm" : f(100 * changed.reduce(0, +) / Double(changed.count)
                / Double(llama.config.linearShape(of: kind).reduce(1, *)), 1) + "%"
            loopSeconds += seconds
            let shape = llama.config.linearShape(of: kind)
            print("| \(kind.rawValue) | \(shape[0]) x \(shape[1]) | \(rows.count) | \(f(seconds / Double(max(rows.count, 1)), 3)) | \(f(cpu / Double(max(rows.count, 1)), 3)) | \(f(gflop / max(seconds, 1e-9), 1)) | \(f(gflop / max(cpu, 1e-9), 1)) | \(changedText) |")
        }
        print("")
        print("| part | seconds |")
        print("|---|---:|")
        print("| SignRound step loops | \(f(loopSeconds, 1)) |")
        print("| calibration forwards, bookkeeping | \(f(total - loopSeconds, 1)) |")
        print("| whole run | \(f(total, 1)) |")
        print("sgemm limit on this machine: about 200 GFLOP/s with 2 threads, 100 per CPU second (see TOOLCHAIN.md);")
        print("group partial products do less work than the sgemm, so their sgemm-equivalent rate can pass the limit.")
        print("Load average at the end: \(loadAverage()) (other processes share the cores).")
    }

    private func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }

    private func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}

/// A model restricted to its first `blocks` blocks (for benchmarks on part of a model).
struct TruncatedModel {
    let model: LlamaModel

    init(_ full: LlamaModel, blocks: Int) throws {
        var config = full.config
        config.numHiddenLayers = blocks
        model = try LlamaModel(config: config, source: full.source, ropeLayout: full.architecture.ropeLayout)
    }
}
