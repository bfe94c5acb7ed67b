import ArgumentParser
import Export
import Foundation
import Model
import Formats
import Quant
import TensorCore

/// `autoscheme quantize [MODEL] --plan plan.json -o OUTDIR`: applies a plan with SignRound (or
/// round-to-nearest) and writes a fake-quantized Hugging Face folder plus `quantize-stats.json`.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a model with a plan (SignRound or round-to-nearest) and write the result.")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.") var model: String?
    @Option(help: "Plan file (autoscheme.plan/1).") var plan: String
    @Option(help: "Calibration text (default: the cached lcet10.txt).") var calib: String?
    @Option(help: "signround or rtn.") var method: QuantizeMethod = .signround
    @Option(parsing: .unconditional, help: "SignRound iterations per layer.") var iters = 200
    @Option(parsing: .unconditional, help: "Initial learning rate (default 1 / iters), decaying linearly to 0.") var lr: Float?
    @Option(help: "SignRound scope: layer (each layer on its output error) or block (all layers of a block on the block output MSE, minibatches, quantized inputs).")
    var scope: SignRoundScope = .layer
    @Option(parsing: .unconditional, help: "Calibration windows per block-wise step (--scope block).") var batchSize = 8
    @Option(parsing: .unconditional, help: "Calibration windows.") var nsamples = 32
    @Option(parsing: .unconditional, help: "Tokens per calibration window.") var seqlen = 512
    @Option(help: "Seed of the calibration windows.") var seed: UInt64 = 42
    @Flag(inversion: .prefixedNo, help: "Calibrate each block on the outputs of the already quantized blocks.")
    var quantizedInput = false
    @Option(parsing: .unconditional, help: "Positions at the start of every calibration window left out of the layer objectives (the attention-sink token).")
    var skipPositions = 0
    @Option(name: [.customShort("o"), .long], help: "Output folder.") var output: String
    @Flag(help: "Replace a non-empty output folder.") var overwrite = false
    @Option(help: "Checkpoint layout: auto_round (packed) or fake (dequantized weights).") var format: CheckpointFormat = .autoRound
    @Option(help: "dtype of the written 2-D tensors: bf16, f16 or f32.") var dtype = "bf16"
    @Option(parsing: .unconditional, help: "After writing, evaluate the written model against the original on this many 512-token windows of the cached alice29.txt (0: skip).")
    var evalWindows = 0

    func validate() throws {
        guard skipPositions >= 0, skipPositions < seqlen else {
            throw ValidationError("--skip-positions must be in 0..<seqlen, got \(skipPositions)")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
        guard iters >= 0 else { throw ValidationError("--iters must be >= 0, got \(iters)") }
        guard nsamples > 0, seqlen > 1 else { throw ValidationError("--nsamples must be > 0 and --seqlen > 1, got \(nsamples), \(seqlen)") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
        guard ["bf16", "f16", "f32"].contains(dtype) else { throw ValidationError("--dtype must be bf16, f16 or f32, got \(dtype)") }
    }

    func run() throws {
        do { try quantize() } catch { printError(error); throw ExitCode.failure }
    }

    private func quantize() throws {
        let description = try ModelLoader.open(try ModelLoader.resolve(model))
        let llama = try LlamaModel(config: description.config, source: description.tensors, ropeLayout: description.ropeLayout)
        let formats = try PlanFormats.resolve(try PlanFormats.load(plan), model: description, file: plan)
        let tokenizer = try CalibrationTokens.tokenizer(description)
        let calibPath = try calib ?? Assets.path(.lcet10)
        let tokens = try CalibrationTokens.encode(calibPath, with: tokenizer)
        let windows = try CalibrationWindows.sample(tokens: tokens, count: nsamples, length: seqlen, seed: seed)
        var options = QuantizeOptions()
        options.method = method
        options.signRound = SignRoundOptions(iterations: iters, learningRate: lr)
        options.calibration = CalibrationOptions(sampleCount: nsamples, sequenceLength: seqlen, seed: seed)
        options.quantizedInput = quantizedInput
        options.skippedPositions = skipPositions
        options.scope = scope
        options.batchSize = batchSize
        let start = SignRound.processCPUSeconds(), wall = Date()
        let result = try PlanApplier(model: llama, formats: formats, options: options).run(windows: windows) {
            FileHandle.standardError.write(Data(($0 + "\n").utf8))
        }
        let stats = QuantizeStats(model: description.path, plan: plan, options: options,
                                  totalSeconds: Date().timeIntervalSince(wall), layers: result.stats)
        try CheckpointExport.write(format, description: description, model: llama, weights: result.weights, quantized: result.quantized, to: output,
                                   overwrite: overwrite, fakeDType: StorageType(rawValue: dtype.uppercased()) ?? .bf16,
                                   extraFiles: [QuantizeStats.fileName: try stats.encoded()])
        if evalWindows > 0 {
            let evalTokens = try CalibrationTokens.encode(try Assets.path(.alice29), with: tokenizer)
            let written = try QuantizedCheckpointLoader.open(output)
            let quantized = try LlamaModel(config: written.config, source: written.tensors, ropeLayout: written.ropeLayout)
            let e = try Evaluation.run(model: try quantized.resident(), tokens: evalTokens, ctx: 512, windows: evalWindows,
                                       against: try llama.resident())
            print("alice29.txt, \(e.windows) x \(e.ctx) tokens: PPL \(String(format: "%.4f", e.ppl)), "
                  + "KL vs original \(String(format: "%.5f", e.kl ?? .nan)) nats/token, top-1 agreement \(String(format: "%.4f", e.top1Agree ?? .nan))")
        }
        let summary = "Quantized \(result.stats.count) layers (\(method.rawValue)) in \(String(format: "%.1f", stats.totalSeconds)) s "
            + "(\(String(format: "%.1f", SignRound.processCPUSeconds() - start)) CPU s)"
        let tuned = result.stats.contains { $0.iterations > 0 }
        print(summary + (tuned ? "; SignRound below RTN on \(String(format: "%.1f", 100 * stats.fractionImproved))% of tuned layers" : "")
              + ". Wrote \(output).")
    }
}

extension QuantizeMethod: ExpressibleByArgument {}
extension SignRoundScope: ExpressibleByArgument {}
extension CheckpointFormat: ExpressibleByArgument {}
