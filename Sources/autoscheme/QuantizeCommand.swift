import ArgumentParser
import CLISupport
import Export
import Foundation
import IO
import Model
import Formats
import Pipeline
import Quant

/// `autoscheme quantize [MODEL] --plan plan.json -o OUTDIR`: applies a plan with SignRound (or
/// round-to-nearest) and writes a checkpoint plus `quantize-stats.json`, through the quantize,
/// export and (with `--eval-windows`) evaluate stages that `run` uses.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a model with a plan (SignRound or round-to-nearest) and write the result.")

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.") var model: String?
    @Option(help: "Plan file (autoscheme.plan/1).") var plan: String
    @OptionGroup var calibration: CalibrationArguments
    @OptionGroup var quantizing: QuantizeArguments
    @Option(name: [.customShort("o"), .long], help: "Output folder (--format gguf: the .gguf file).") var output: String
    @Flag(help: "Replace a non-empty output folder (or an existing .gguf).") var overwrite = false
    @OptionGroup var checkpoint: CheckpointArguments
    @OptionGroup var evaluation: EvaluationArguments
    @Option(parsing: .unconditional, help: "After writing, evaluate the written model against the original on this many windows of --ctx tokens of the --eval text (0: skip).")
    var evalWindows = 0

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<model>": model, "--plan": plan, "-o": output])
        try quantizing.validate(calibration: calibration)
        try evaluation.validate(windows: evalWindows)
    }

    func run() throws {
        let gguf = checkpoint.format == .gguf
        try OutputPath.check(output, kind: gguf ? .file : .folder,
                             inputs: [StageInputs.modelPath(model), plan, calibration.calib ?? "", evaluation.text ?? ""])
        if gguf && !overwrite && FileManager.default.fileExists(atPath: output) { throw GGUFExportError.outputExists(path: output) }
        let description = try ModelLoader.open(try ModelLoader.resolve(model))
        let formats = try PlanFormats.resolve(try PlanFormats.load(plan), model: description, file: plan)
        try CheckpointExport.check(checkpoint.format, formats: formats, plan: plan)
        let inputs = try ProfileInputs(description: description, calib: calibration.calib)
        let options = try quantizing.options(calibration: calibration)
        try TextLength.checkWindow(options.calibration.sequenceLength, option: "--seqlen", config: description.config)
        if evalWindows > 0 { try TextLength.checkWindow(evaluation.ctx, option: "--ctx", config: description.config) }
        let text: EvaluationText? = try evalWindows > 0
            ? EvaluationText(evaluation.options(windows: evalWindows), tokenizer: inputs.tokenizer) : nil
        let cpuStart = SignRound.processCPUSeconds()
        let quantized = try QuantizeStage.run(inputs, formats: formats, planFile: plan, options: options) {
            FileHandle.standardError.write(Data(($0 + "\n").utf8))
        }
        try ExportStage.write(quantized, inputs: inputs, options: checkpoint.options, to: output, overwrite: overwrite)
        if let text {
            let e = try EvaluateStage.run(checkpoint: output, original: inputs.model, text: text)
            print("\((text.path as NSString).lastPathComponent), \(e.windows) x \(e.ctx) tokens: PPL \(String(format: "%.4f", e.ppl)), "
                  + "KL vs original \(String(format: "%.5f", e.kl ?? .nan)) nats/token, top-1 agreement \(String(format: "%.4f", e.top1Agree ?? .nan))")
        }
        let stats = quantized.stats
        let how = PlanApplier.ggmlOnly(formats) && options.method != .rtnPlain
            ? "llama.cpp's importance quantizers on \(stats.samples) windows" : options.method.rawValue
        let summary = "Quantized \(stats.layers.count) layers (\(how)) in \(String(format: "%.1f", stats.totalSeconds)) s "
            + "(\(String(format: "%.1f", SignRound.processCPUSeconds() - cpuStart)) CPU s)"
        let tuned = stats.layers.contains { $0.iterations > 0 }
        print(summary + (tuned ? "; SignRound below RTN on \(String(format: "%.1f", 100 * stats.fractionImproved))% of tuned layers" : "")
              + ". Wrote \(output).")
    }
}
