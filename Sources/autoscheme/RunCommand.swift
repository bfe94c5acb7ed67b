import ArgumentParser
import CLISupport
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
    @OptionGroup var counting: CountingArguments
    @OptionGroup var target: TargetArguments
    @Option(help: ArgumentHelp(TargetArguments.formatsHelp)) var formats: String?
    @Option(help: "Sensitivity estimator.") var estimator: SensitivityEstimator = .standard
    @OptionGroup var calibration: CalibrationArguments
    @OptionGroup var quantizing: QuantizeArguments
    @OptionGroup var checkpoint: CheckpointArguments
    @OptionGroup var evaluation: EvaluationArguments
    @Option(parsing: .unconditional, help: "Evaluation windows of --ctx tokens (0: the whole text).") var evalWindows = 16
    @Option(name: .shortAndLong, help: "Output folder (written as a temporary folder, renamed at the end).")
    var output: String
    @Flag(help: "Replace a non-empty output folder.") var overwrite = false
    @Flag(help: "Profile again even when a cached profile matches.") var noCache = false
    @Flag(help: "Print the summary as JSON on stdout.") var json = false

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<model>": model, "-o": output])
        try OptionBounds.averageBits(averageBits)
        try quantizing.validate(calibration: calibration)
        try evaluation.validate(windows: evalWindows)
        _ = try checkpoint.options(for: target.target)
    }

    func run() throws {
        try OutputPath.check(output, kind: .folder, inputs: [StageInputs.modelPath(model), calibration.calib ?? "",
                                                              evaluation.text ?? ""])
        let summary = try RunPipeline(options: try makeOptions()) {
            FileHandle.standardError.write(Data("autoscheme: \($0)\n".utf8))
        }.run()
        if json {
            print(try JSONPolicy.string(summary))
        } else {
            print(summary.text())
        }
    }

    func makeOptions() throws -> RunOptions {
        let candidates = try candidateFormats()
        let windows = calibration.profileOptions
        let profiler = ProfilerOptions(formats: candidates, estimator: estimator, sampleCount: windows.sampleCount,
                                       sequenceLength: windows.sequenceLength, seed: windows.seed)
        try profiler.validate()
        var options = RunOptions(model: model, averageBits: averageBits, output: output, profiler: profiler)
        options.counting = counting.counting
        options.target = target.target
        options.calibrationText = calibration.calib
        options.quantize = try quantizing.options(calibration: calibration)
        options.checkpoint = try checkpoint.options(for: target.target)
        options.evaluation = evaluation.options(windows: evalWindows == 0 ? nil : evalWindows)
        options.overwrite = overwrite
        options.reuseProfile = !noCache
        return options
    }

    /// `--formats`, or the target's default candidates: `QuantFormat.defaultCandidates`, or under
    /// `llamacpp` the ggml types every linear layer of the model can be stored in (so the model's
    /// description is read here; the pipeline adds the target's fallback formats as for any list).
    func candidateFormats() throws -> [QuantFormat] {
        if let formats { return try ProfilerOptions.parseFormats(formats) }
        guard target.target == .llamacpp else { return QuantFormat.defaultCandidates }
        let config = try ModelLoader.open(try ModelLoader.resolve(model)).config
        return target.profileFormats(nil, config: config)
    }
}
