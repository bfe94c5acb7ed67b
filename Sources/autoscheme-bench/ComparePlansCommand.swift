import ArgumentParser
import CLISupport
import Foundation
import Model
import Pipeline
import Quant
import Sensitivity
import IO
import Formats

/// `autoscheme-bench compare-plans [MODEL]`: the quality of the searched plan against baseline plans
/// (`PlanComparison`): PPL, KL and top-1 on alice29.txt of the searched plan (SignRound and RTN), the
/// best uniform format and llama.cpp's depth heuristic at each budget, with stage times.
struct ComparePlansCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-plans",
        abstract: "Searched plan vs uniform format vs depth heuristic at several budgets: one markdown table.",
        discussion: """
            Reuses the cached profile of the model (or --profile), builds four plans per budget \
            (searched + SignRound, searched + RTN, best uniform format + SignRound, llama.cpp-style depth \
            heuristic + SignRound), quantizes each and evaluates it against the original on the held-out \
            text. Progress with ETA on stderr; the table on stdout (and --markdown / --json files).
            """)

    @Argument(help: "A .gguf file, a Hugging Face folder, or 'default'.") var model: String?
    @Option(help: "Comma-separated average-bit budgets.") var budgets = "2.5,3.0,3.5,4.25,4.5"
    @Option(help: "Profile file (default: the cached profile of the model and calibration text).") var profile: String?
    @Option(parsing: .unconditional, help: "SignRound iterations per layer.") var iters = 200
    @Option(parsing: .unconditional, help: "Evaluation windows of --ctx tokens.") var windows = 16
    @Option(parsing: .unconditional, help: "Evaluation context length in tokens.") var ctx = 512
    @Option(help: "Calibration text (default: the cached lcet10.txt).") var calib: String?
    @Option(name: .customLong("eval"), help: "Held-out evaluation text (default: the cached alice29.txt).") var evalText: String?
    @Option(parsing: .unconditional, help: "Calibration windows for SignRound.") var nsamples = 32
    @Option(parsing: .unconditional, help: "Tokens per calibration window.") var seqlen = 512
    @Option(help: "Seed of the calibration windows.") var seed: UInt64 = 42
    @Option(help: "Also write the result as JSON to this file.") var json: String?
    @Option(help: "Also write the markdown table to this file.") var markdown: String?
    @Flag(help: "Only build and print the plans (bits, predicted loss); no quantization or evaluation.")
    var plansOnly = false

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<model>": model, "--profile": profile, "--calib": calib, "--eval": evalText])
        try OptionBounds.outputFile(json, option: "--json")
        try OptionBounds.outputFile(markdown, option: "--markdown")
    }

    func run() throws {
        let options = try makeOptions()
        try options.validate()
        for path in [json, markdown].compactMap({ $0 }) { try OutputFile.checkParent(of: path) }
        let comparison = PlanComparison(options: options) {
            FileHandle.standardError.write(Data("autoscheme-bench: \($0)\n".utf8))
        }
        let result = plansOnly ? try comparison.planTable() : try comparison.run()
        let text = result.markdown()
        print(text, terminator: "")
        if let markdown { try OutputFile.write(Data(text.utf8), to: markdown) }
        if let json { try OutputFile.write(try OutputFile.encode(result), to: json) }
    }

    func makeOptions() throws -> PlanComparisonOptions {
        var options = PlanComparisonOptions(model: model)
        options.budgets = try budgets.split(separator: ",", omittingEmptySubsequences: false).map {
            let text = $0.trimmingCharacters(in: .whitespaces)
            guard let value = Double(text), value.isFinite, value > 0 else {
                throw PipelineError.invalidOption(name: "--budgets", value: budgets, expected: "comma-separated positive numbers")
            }
            return value
        }
        options.profile = profile
        options.iterations = iters
        options.evaluationWindows = windows
        options.evaluationContext = ctx
        options.calibrationText = calib
        options.evaluationText = evalText
        options.calibration = CalibrationOptions(sampleCount: nsamples, sequenceLength: seqlen, seed: seed)
        return options
    }
}
