import ArgumentParser
import Export
import Foundation
import Model
import Pipeline
import Formats
import Quant
import Sensitivity
import IO

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
    @Option(parsing: .unconditional, help: "Calibration windows (profile and SignRound).") var nsamples = 32
    @Option(parsing: .unconditional, help: "Tokens per calibration window.") var seqlen = 512
    @Option(help: "Quantizer: signround or rtn.") var method: QuantizeMethod = .signround
    @Option(parsing: .unconditional, help: "SignRound iterations per layer (per block with --scope block).") var iters = 200
    @Option(help: "SignRound scope: layer (each layer on its output error) or block (all layers of a block on the block output MSE; slower per iteration, see Guides/SignRound.md).")
    var scope: SignRoundScope = .layer
    @Option(parsing: .unconditional, help: "Calibration windows per block-wise step (--scope block).") var batchSize = 8
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
        guard iters >= 0 else { throw ValidationError("--iters must be >= 0, got \(iters)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be >= 1, got \(batchSize)") }
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
                print(try JSONPolicy.string(summary))
            } else {
                print(summary.text())
            }
        } catch {
            printError(error)
            throw ExitCode.failure
        }
    }

    func makeOptions() throws -> RunOptions {
        let candidates = try ProfilerOptions.parseFormats(formats)
        let profiler = ProfilerOptions(formats: candidates, estimator: estimator, sampleCount: nsamples,
                                       sequenceLength: seqlen, seed: seed)
        try profiler.validate()
        var options = RunOptions(model: model, averageBits: averageBits, output: output, profiler: profiler)
        options.calibrationText = calib
        options.evaluationText = evalText
        options.quantize.method = method
        options.quantize.signRound = SignRoundOptions(iterations: iters)
        options.quantize.calibration = CalibrationOptions(sampleCount: nsamples, sequenceLength: seqlen, seed: seed)
        options.quantize.scope = scope
        options.quantize.batchSize = min(batchSize, nsamples)
        options.checkpoint = format
        options.evaluationContext = ctx
        options.evaluationWindows = evalWindows == 0 ? nil : evalWindows
        options.overwrite = overwrite
        options.reuseProfile = !noCache
        return options
    }
}
