import ArgumentParser
import CLISupport
import Foundation
import Model
import Pipeline
import Sensitivity
import TensorCore

/// `autoscheme-bench profile`: one profiler run on the default model, timed by stage.
struct BenchProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Time the sensitivity profiler by stage (forward, quantization, scoring, KL probes) and compare its dense-math rate with sgemm.")

    @Argument(help: "Model (default: the cached SmolLM2-135M-Instruct).") var model: String?
    @Option(help: "Calibration text (default: the cached lcet10.txt).") var calib: String?
    @Option(help: "Calibration windows.") var nsamples = 32
    @Option(help: "Tokens per window.") var seqlen = 512
    @Option(help: "Estimator.") var estimator: SensitivityEstimator = .standard
    @Option(help: "Comma-separated formats.") var formats = "int2,int3,int4,int8,mxfp4,nvfp4,fp8,bf16"
    @Option(help: "Only layers matching this regular expression.") var layers: String?
    @Option(help: "Probe windows and their length.") var probeWindows = 2
    @Option var probeLength = 128
    @Option(help: "sgemm limit of the machine in GFLOP/s, for the last column.") var sgemmLimit = 200.0

    func run() throws {
        let inputs = try ProfileInputs(model: model, calib: calib)
        let options = ProfilerOptions(formats: try ProfilerOptions.parseFormats(formats), estimator: estimator,
                                      sampleCount: nsamples, sequenceLength: seqlen, probeWindows: probeWindows,
                                      probeLength: probeLength, layerPattern: layers)
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try SensitivityProfiler(model: inputs.model, options: options)
            .run(tokens: inputs.tokens, identity: ModelIdentity(inputs.description), calibrationFile: inputs.calibrationFile,
                 calibrationSHA256: inputs.calibrationSHA256)
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        printTable(result, config: inputs.model.config, total: total, options: options)
    }

    private func printTable(_ r: ProfilerResult, config c: ModelConfig, total: Double, options: ProfilerOptions) {
        let flops = FlopModel(config: c)
        let captureFlops = flops.forward(tokens: (options.capturedWindowCount ?? 0) * seqlen, length: seqlen,
                                         blocks: (r.layers.map(\.id.block).max() ?? -1) + 1, headRows: 0)
        let probeTokens = !options.computedEstimators.contains(where: \.needsProbes) ? 0 : probeWindows * min(probeLength, seqlen)
        let probes = options.probeFormats
        let replays = estimator == .kl ? options.formats.count + probes.filter { !options.formats.contains($0) }.count : probes.count
        let probeFlops = r.layers.reduce(0.0) { sum, layer in
            sum + Double(replays) * flops.forward(tokens: probeTokens, length: min(probeLength, seqlen),
                                                  blocks: c.numHiddenLayers - layer.id.block, headRows: probeTokens)
        }
        // q/k/v layers: one block forward per format and extra probe, plus each block's original output.
        let attentionLayers = probeTokens == 0 ? [] : r.layers.filter { ErrorSite(kind: $0.id.kind) == .blockOutput }
        let blockForwards = attentionLayers.count * (options.formats.count + probes.filter { !options.formats.contains($0) }.count)
            + Set(attentionLayers.map(\.id.block)).count
        let blockErrorFlops = Double(blockForwards) * flops.forward(tokens: probeTokens, length: min(probeLength, seqlen),
                                                                    blocks: 1, headRows: 0)
        let gradientFlops = gradientPassFlops(r, flops: flops, options: options)
        let k = r.clock
        print("profile of \(r.layers.count) layers x \(options.formats.count) formats, estimator \(estimator.rawValue), "
              + "\(options.capturedWindowCount ?? 0) x \(seqlen) captured tokens, "
              + "\(options.computedEstimators.contains(where: \.needsGradients) ? options.gradientWindowCount : 0) x \(seqlen) gradient tokens, "
              + "\(probeTokens) probe tokens, \(BLAS.threads) BLAS threads (stages that did not run are left out)")
        print("| stage | seconds | GFLOP | GFLOP/s | of sgemm limit |")
        print("|---|---:|---:|---:|---:|")
        row("forward (capture)", k.forwardSeconds, captureFlops)
        row("quantization", k.quantizeSeconds, nil)
        row("scoring (dW H)", k.scoringSeconds, k.scoringFlops)
        if k.gradientSeconds > 0 {
            row("gradient passes (forward, reverse)", k.gradientSeconds - k.gradientScoringSeconds, gradientFlops.passes)
            row("gradient scoring (quantization, products)", k.gradientScoringSeconds, gradientFlops.products)
        }
        row("KL probes (replay)", k.probeSeconds, probeFlops)
        row("block errors (q/k/v)", k.blockErrorSeconds, blockErrorFlops)
        row("total", total, captureFlops + k.scoringFlops + probeFlops + blockErrorFlops + gradientFlops.passes
            + gradientFlops.products)
    }

    /// Per gradient pass 3.4x the forward flops with the head on every row (`ModelGradients`), plus
    /// for `fisher` and `fisher-kl` one 2 x tokens x out x in product per layer and format.
    private func gradientPassFlops(_ r: ProfilerResult, flops: FlopModel,
                                   options: ProfilerOptions) -> (passes: Double, products: Double) {
        let wanted = options.computedEstimators.filter(\.needsGradients)
        let tokens = options.gradientWindowCount * seqlen
        let textPass = wanted.contains(.deltaLoss) || wanted.contains(.fisher)
        let blocks = flops.config.numHiddenLayers
        // Forward (blocks and head); the reverse pass: the recompute of each block without its down
        // projection (0.75x the blocks), dX through the blocks, dF through the head, and dW for
        // delta-loss's text pass (Guides/Gradients.md, "Speed").
        let blockFlops = flops.forward(tokens: tokens, length: seqlen, blocks: blocks, headRows: 0)
        let headFlops = flops.forward(tokens: tokens, length: seqlen, blocks: 0, headRows: tokens)
        let pass = { (weights: Bool) in 2 * (blockFlops + headFlops) + 0.75 * blockFlops + (weights ? blockFlops : 0) }
        let passFlops = (textPass ? pass(wanted.contains(.deltaLoss)) : 0) + (wanted.contains(.fisherKL) ? pass(false) : 0)
        let products = Double(wanted.filter { $0 == .fisher || $0 == .fisherKL }.count)
        let layerFlops = r.layers.reduce(0.0) { $0 + 2 * Double(tokens) * Double($1.shape.count) }
        return (passFlops, products * Double(options.formats.count) * layerFlops)
    }

    private func row(_ name: String, _ seconds: Double, _ flops: Double?) {
        guard seconds > 0 || (flops ?? 0) > 0 else { return }
        let g = flops.map { String(format: "%.1f", $0 / 1e9) } ?? "-"
        let rate = flops.map { String(format: "%.1f", $0 / 1e9 / max(seconds, 1e-9)) } ?? "-"
        let share = flops.map { String(format: "%.0f%%", 100 * $0 / 1e9 / max(seconds, 1e-9) / sgemmLimit) } ?? "-"
        print("| \(name) | \(String(format: "%.2f", seconds)) | \(g) | \(rate) | \(share) |")
    }
}

/// Floating-point operations of a Llama forward pass (multiply-add = 2 flops).
struct FlopModel {
    let config: ModelConfig

    /// Linear layers of one block per token: 2 x (q, k, v, o, gate, up, down parameters).
    var linearPerToken: Double {
        let c = config
        let attention: Int = c.hiddenSize * (2 * c.queryWidth + 2 * c.keyValueWidth)
        let mlp: Int = 3 * c.hiddenSize * c.intermediateSize
        return 2 * Double(attention + mlp)
    }

    /// `tokens` in windows of `length` through `blocks` blocks, plus the LM head on `headRows` rows.
    /// Causal attention: QK^T and AV cost 2 x 2 x queryWidth x (average context (length + 1) / 2) per token.
    func forward(tokens: Int, length: Int, blocks: Int, headRows: Int) -> Double {
        let attention = 4 * Double(config.queryWidth) * Double(length + 1) / 2
        return Double(tokens) * Double(blocks) * (linearPerToken + attention)
            + 2 * Double(headRows) * Double(config.hiddenSize * config.vocabSize)
    }
}
