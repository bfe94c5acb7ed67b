import ArgumentParser
import CLISupport
import Foundation
import IO
import Model
import Pipeline
import Formats
import Sensitivity

/// `autoscheme profile [MODEL] --calib FILE ... -o profile.json`: per-layer, per-format sensitivity.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Measure every linear layer's sensitivity to every candidate format and write a profile.",
        discussion: "Estimators:\n" + SensitivityEstimator.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n")
            + "\n\nFormats:\n" + FormatTraits.helpText
            + "\n\nScores are nats/token except output-error's, delta-loss's and fisher's (rank only). "
            + "--validate also computes output-error and the gradient estimators (calibrated only when chosen) and compares them on the same measured plans. "
            + "Without KL probes (fisher-kl, delta-loss, fisher) the output errors come from the gradient windows. A format whose grid holds the stored weights scores 0 "
            + "(the profile notes it); SmolLM2's Q4_1 grid (free fp16 minimum) is not int4a/g32's (integer zero point).")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default' (the cached SmolLM2-135M-Instruct).")
    var model: String?
    @Option(help: "Calibration text (UTF-8); default: the cached lcet10.txt.") var calib: String?
    @Option(help: ArgumentHelp(TargetArguments.formatsHelp)) var formats: String?
    @OptionGroup var target: TargetArguments
    @Option(parsing: .unconditional, help: "Calibration windows.") var nsamples = 32
    @Option(parsing: .unconditional, help: "Tokens per calibration window.") var seqlen = 512
    @Option(help: "Estimator: \(SensitivityEstimator.allCases.map(\.rawValue).joined(separator: ", ")).")
    var estimator: SensitivityEstimator = .standard
    @Option(help: "Profile only layers whose weight name matches this regular expression.") var layers: String?
    @Option(name: .customLong("validate"), parsing: .unconditional, help: "Random mixed plans to measure on held-out windows (0: no validation).") var validationPlans = 0
    @Option(parsing: .unconditional, help: "Held-out windows (of --seqlen tokens) for validation.") var validationWindows = 2
    @Option(parsing: .unconditional, help: "Calibration windows the KL probes use (a prefix of the calibration windows).") var probeWindows = 2
    @Option(parsing: .unconditional, help: "Tokens of each probe window.") var probeLength = 128
    @Option(help: "Comma-separated formats whose errors calibrate each layer's gains (calibrated interpolates between them).")
    var probeFormat = "int3/g128,int4/g128"
    @Option(help: "Calibration windows (of --seqlen tokens) for the gradient passes of fisher-kl, delta-loss and fisher.")
    var gradientWindows = 4
    @Option(parsing: .unconditional, help: "Windows per forward + backward pass (bounds memory).") var gradientBatch = 4
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 42
    @Option(name: .shortAndLong, help: "Output profile (JSON, written to a temporary file and renamed).") var output: String
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<model>": model, "--calib": calib])
        try OptionBounds.outputFile(output)
    }

    func run() throws {
        var options = try makeOptions()
        try OutputPath.check(output, kind: .file, inputs: [calib ?? "", StageInputs.modelPath(model)])
        let inputs = try ProfileInputs(model: model, calib: calib)
        try TextLength.checkWindow(seqlen, option: "--seqlen", config: inputs.model.config)
        try TextLength.checkWindow(probeLength, option: "--probe-length", config: inputs.model.config)
        options.formats = target.profileFormats(formats == nil ? nil : options.formats, config: inputs.model.config)
        try options.validate()
        let profiler = try SensitivityProfiler(model: inputs.model, options: options)
        let result = try profiler.run(tokens: inputs.tokens, identity: ModelIdentity(inputs.description),
                                      calibrationFile: inputs.calibrationFile,
                                      calibrationSHA256: inputs.calibrationSHA256, progress: ProgressPrinter().report)
        try result.profile.write(to: URL(fileURLWithPath: output))
        let summary = ProfileSummary(result.profile, output: output)
        print(json ? try summary.json() : summary.text())
    }

    func makeOptions() throws -> ProfilerOptions {
        let probes = try ProfilerOptions.parseFormats(probeFormat, option: "--probe-format")
        var options = ProfilerOptions(formats: try formats.map { try ProfilerOptions.parseFormats($0) } ?? QuantFormat.defaultCandidates,
                                      estimator: estimator,
                                      sampleCount: nsamples, sequenceLength: seqlen, seed: seed,
                                      probeWindows: probeWindows, probeLength: probeLength, probeFormats: probes,
                                      layerPattern: layers, validationPlans: validationPlans, validationWindows: validationWindows)
        options.gradientWindows = gradientWindows
        options.gradientBatchSize = gradientBatch
        try options.validate()
        return options
    }
}

/// Prints progress lines on stderr, at most one per second per stage plus each stage's last.
final class ProgressPrinter {
    private var lastPrinted: [String: Double] = [:]

    func report(_ p: ProfilerProgress) {
        let last = lastPrinted[p.stage] ?? -1
        guard p.done == p.total || p.elapsed - last >= 1 else { return }
        lastPrinted[p.stage] = p.elapsed
        FileHandle.standardError.write(Data("autoscheme: \(p.line)\n".utf8))
    }
}
