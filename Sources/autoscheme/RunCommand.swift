import ArgumentParser
import Export
import Foundation
import Model
import Pipeline
import Quant
import Sensitivity

/// `autoscheme run [MODEL] --avg-bits B -o OUTDIR`: model to quantized, evaluated, reported model.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Profile, search, quantize (SignRound), export, evaluate and report in one call.",
        discussion: """
            Writes OUTDIR/{profile,plan,sweep,eval,summary}.json, OUTDIR/model (the checkpoint) and \
            OUTDIR/report.{md,html}. Profiles are cached in $AUTOSCHEME_CACHE/profiles by model, text and \
            settings, so a new budget does not profile again.

            Formats (bits/weight of a 4096-wide layer):
            \(FormatTraits.helpText)

            Estimators:
            \(SensitivityEstimator.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"))
            """)

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default' (the cached SmolLM2-135M-Instruct).")
    var model: String?
    @Option(name: .customLong("avg-bits"), parsing: .unconditional, help: "Target average bits per weight of the linear layers (never exceeded).")
    var averageBits: Double
    @Option(help: "Comma-separated candidate formats.") var formats = "int2,int3,int4,int8,mxfp4,nvfp4,fp8,bf16"
    @Option(help: "Calibration text (default: the cached lcet10.txt).") var calib: String?
    @Option(name: .customLong("eval"), help: "Held-out evaluation text (default: the cached alice29.txt).") var evalText: String?
    @Option(help: "Sensitivity estimator.") var estimator: SensitivityEstimator = .calibrated
    @Option(parsing: .unconditional, help: "Calibration windows (profile and quantize; default: 32 for the profile, the recipe's for quantize).") var nsamples: Int?
    @Option(parsing: .unconditional, help: "Tokens per calibration window (profile and quantize; default: 512 for the profile, the recipe's for quantize).") var seqlen: Int?
    @Option(help: "Quantize recipe (\(QuantizeRecipe.allCases.map(\.rawValue).joined(separator: ", "))): \(QuantizeRecipe.allCases.map(\.summary).joined(separator: "; ")). Every quantize option given explicitly overrides the recipe's value.")
    var recipe = QuantizeRecipe.default.rawValue
    @Option(help: "Quantizer: signround, rtn (importance-weighted scales) or rtn-plain (min/max scales) (default: the recipe's).") var method: QuantizeMethod?
    @Option(parsing: .unconditional, help: "SignRound iterations per layer (per block with --scope block; default: the recipe's).") var iters: Int?
    @Option(help: "SignRound scope: layer (each layer on its output error) or block (all layers of a block on the block output MSE; slower per iteration, see Guides/SignRound.md).")
    var scope: SignRoundScope?
    @Option(parsing: .unconditional, help: "Calibration windows per block-wise step (--scope block; default: the recipe's).") var batchSize: Int?
    @Option(help: "Where block-wise SignRound's clips start: weighted-rtn or rtn (default: the recipe's).") var start: SignRoundStart?
    @Option(help: "Block-wise SignRound's steps: sign-sgd or adam (default: the recipe's).") var optimizer: SignRoundOptimizer?
    @Option(help: "Checkpoint layout written to OUTDIR/model: auto_round or fake.") var format: CheckpointFormat = .autoRound
    @Option(parsing: .unconditional, help: "Evaluation windows of --ctx tokens (0: the whole text).") var evalWindows = 16
    @Option(parsing: .unconditional, help: "Evaluation context length in tokens.") var ctx = 512
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 42
    @Option(name: .shortAndLong, help: "Output folder (written as a temporary folder, renamed at the end).")
    var output: String
    @Flag(help: "Replace a non-empty output folder.") var overwrite = false
    @Flag(help: "Profile again even when a cached profile matches.") var noCache = false
    @Flag(help: "Print the summary as JSON on stdout.") var json = false

    func validate() throws {
        guard averageBits.isFinite, averageBits > 0 else { throw ValidationError("--avg-bits must be positive, got \(averageBits)") }
        if let iters, iters < 0 { throw ValidationError("--iters must be >= 0, got \(iters)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
        do { _ = try quantizeOptions() } catch let e as RecipeError { throw ValidationError(e.errorDescription ?? "\(e)") }
        guard evalWindows >= 0, ctx >= 2 else {
            throw ValidationError("--eval-windows must be >= 0 and --ctx >= 2, got \(evalWindows) and \(ctx)")
        }
    }

    func run() throws {
        do {
            let summary = try RunPipeline(options: try makeOptions()) {
                FileHandle.standardError.write(Data("autoscheme: \($0)\n".utf8))
            }.run()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.text())
            }
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }

    /// The recipe's quantize options with the explicit ones applied.
    /// - Throws: `RecipeError` (unknown recipe, SignRound with iterations <= 0).
    func quantizeOptions() throws -> QuantizeOptions {
        var o = RecipeOverrides()
        o.method = method; o.scope = scope; o.iterations = iters; o.samples = nsamples; o.sequenceLength = seqlen
        o.batchSize = batchSize; o.optimizer = optimizer; o.start = start; o.seed = seed
        return try o.resolve(try QuantizeRecipe.named(recipe))
    }

    func makeOptions() throws -> RunOptions {
        let candidates = try ProfilerOptions.parseFormats(formats)
        let profiler = ProfilerOptions(formats: candidates, estimator: estimator, sampleCount: nsamples ?? 32,
                                       sequenceLength: seqlen ?? 512, seed: seed)
        try profiler.validate()
        var options = RunOptions(model: model, averageBits: averageBits, output: output, profiler: profiler)
        options.calibrationText = calib
        options.evaluationText = evalText
        options.quantize = try quantizeOptions()
        options.checkpoint = format
        options.evaluationContext = ctx
        options.evaluationWindows = evalWindows == 0 ? nil : evalWindows
        options.overwrite = overwrite
        options.reuseProfile = !noCache
        return options
    }
}
