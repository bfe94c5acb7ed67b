import ArgumentParser
import Export
import Foundation
import Model
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
    @Option(help: "Named option set (\(QuantizeRecipe.allCases.map(\.rawValue).joined(separator: ", "))): \(QuantizeRecipe.allCases.map(\.summary).joined(separator: "; ")). Every option below given explicitly overrides the recipe's value.")
    var recipe = QuantizeRecipe.default.rawValue
    @Option(help: "signround, rtn (importance-weighted scales) or rtn-plain (min/max scales) (default: the recipe's).") var method: QuantizeMethod?
    @Option(parsing: .unconditional, help: "SignRound iterations per layer, or per block with --scope block (default: the recipe's).") var iters: Int?
    @Option(parsing: .unconditional, help: "Initial learning rate (default 1 / iters), decaying linearly to 0.") var lr: Float?
    @Option(help: "SignRound scope: layer (each layer on its output error) or block (all layers of a block on the block output MSE, minibatches, quantized inputs).")
    var scope: SignRoundScope?
    @Option(parsing: .unconditional, help: "Calibration windows per block-wise step (--scope block).") var batchSize: Int?
    @Option(help: "Where block-wise SignRound's clips start: weighted-rtn (importance-weighted RTN's scales) or rtn (alpha = beta = 1).")
    var start: SignRoundStart?
    @Option(help: "Block-wise SignRound's steps: sign-sgd (AutoRound's) or adam.") var optimizer: SignRoundOptimizer?
    @Option(parsing: .unconditional, help: "Calibration windows.") var nsamples: Int?
    @Option(parsing: .unconditional, help: "Tokens per calibration window.") var seqlen: Int?
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
        if let iters, iters < 0 { throw ValidationError("--iters must be >= 0, got \(iters)") }
        let options: QuantizeOptions
        do { options = try resolvedOptions() } catch let e as RecipeError { throw ValidationError(e.errorDescription ?? "\(e)") }
        let nsamples = options.calibration.sampleCount, seqlen = options.calibration.sequenceLength
        guard skipPositions >= 0, skipPositions < seqlen else {
            throw ValidationError("--skip-positions must be in 0..<seqlen, got \(skipPositions)")
        }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
        guard nsamples > 0, seqlen > 1 else { throw ValidationError("--nsamples must be > 0 and --seqlen > 1, got \(nsamples), \(seqlen)") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive, got \(lr)") }
        guard ["bf16", "f16", "f32"].contains(dtype) else { throw ValidationError("--dtype must be bf16, f16 or f32, got \(dtype)") }
    }

    /// The recipe's options with the explicit ones applied. - Throws: `RecipeError` (unknown recipe, iterations <= 0).
    func resolvedOptions() throws -> QuantizeOptions {
        var o = RecipeOverrides()
        o.method = method; o.scope = scope; o.iterations = iters; o.samples = nsamples; o.sequenceLength = seqlen
        o.batchSize = batchSize; o.learningRate = lr; o.optimizer = optimizer; o.start = start; o.seed = seed
        return try o.resolve(try QuantizeRecipe.named(recipe))
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
        var options = try resolvedOptions()
        try RecipeError.checkCalibration(tokens: tokens.count, path: calibPath, options: options)
        let windows = try CalibrationWindows.sample(tokens: tokens, count: options.calibration.sampleCount,
                                                    length: options.calibration.sequenceLength, seed: seed)
        options.quantizedInput = quantizedInput
        options.skippedPositions = skipPositions
        let start = SignRound.processCPUSeconds(), wall = Date()
        let result = try PlanApplier(model: llama, formats: formats, options: options).run(windows: windows) {
            FileHandle.standardError.write(Data(($0 + "\n").utf8))
        }
        let stats = QuantizeStats(model: description.path, plan: plan, options: options,
                                  totalSeconds: Date().timeIntervalSince(wall), layers: result.stats)
        try CheckpointExport.write(format, description: description, model: llama, applied: result, to: output,
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
        let summary = "Quantized \(result.stats.count) layers (\(options.method.rawValue)) in \(String(format: "%.1f", stats.totalSeconds)) s "
            + "(\(String(format: "%.1f", SignRound.processCPUSeconds() - start)) CPU s)"
        let tuned = result.stats.contains { $0.iterations > 0 }
        print(summary + (tuned ? "; SignRound below RTN on \(String(format: "%.1f", 100 * stats.fractionImproved))% of tuned layers" : "")
              + ". Wrote \(output).")
    }
}

extension QuantizeMethod: ExpressibleByArgument {}
extension SignRoundScope: ExpressibleByArgument {}
extension SignRoundStart: ExpressibleByArgument {}
extension SignRoundOptimizer: ExpressibleByArgument {}
extension CheckpointFormat: ExpressibleByArgument {}
