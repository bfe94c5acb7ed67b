import ArgumentParser
import CLISupport
import Export
import Foundation
import Model
import Pipeline
import IO
import Quant

/// `autoscheme eval [MODEL] --text FILE`: perplexity by the project's protocol (consecutive,
/// non-overlapping windows of `--ctx` tokens from the start of the text, each run on its own,
/// tokens 1..ctx-1 scored; `--second-half --raw-newlines` scores what `llama-perplexity -c CTX` scores) and, with `--against ORIGINAL`, mean KL(original || model) in nats per
/// token and top-1 agreement on the same positions. Progress with ETA goes to stderr.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Perplexity of a model on a text; KL divergence and top-1 agreement against an original.")

    @Argument(help: "A .gguf file, a Hugging Face folder (plain or auto_round-quantized), or 'default'.")
    var model: String?

    @Option(help: "UTF-8 text file to evaluate on (e.g. alice29.txt).")
    var text: String

    @Option(parsing: .unconditional, help: "Tokens per window.")
    var ctx = 512

    @Option(parsing: .unconditional, help: "Number of windows (default: every full window of the text).")
    var windows: Int?

    @Option(parsing: .unconditional, help: "Score only predictions from this window position on (default 0: all; ctx/2 scores the positions llama-perplexity scores).")
    var scoreFrom = 0

    @Flag(help: "Score the second half of each window, as llama-perplexity does (--score-from ctx/2).")
    var secondHalf = false

    @Flag(help: "Read the text's line ends as stored (CR LF kept), as llama.cpp's tools do (default: universal newlines, as Python reads text).")
    var rawNewlines = false

    @Option(help: "The original model to compare against (KL divergence, top-1 agreement).")
    var against: String?

    @Flag(help: "Print one JSON object {ppl, kl, top1_agree, tokens, ctx, windows}.")
    var json = false

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<model>": model, "--text": text, "--against": against])
        if ctx < 2 { throw ValidationError("--ctx must be at least 2, got \(ctx).") }
        if let windows, windows < 1 { throw ValidationError("--windows must be at least 1, got \(windows).") }
        try OptionBounds.check(ctx, "--ctx", in: 2...OptionBounds.maximumWindowLength)
        if let windows { try OptionBounds.tokens(windows: windows, "--windows", length: ctx, "--ctx") }
        if secondHalf && scoreFrom != 0 { throw ValidationError("--second-half and --score-from exclude each other.") }
        guard scoreFrom >= 0, scoreFrom < ctx - 1 else {
            throw ValidationError("--score-from must be in 0..<\(ctx - 1) (--ctx - 1), got \(scoreFrom).")
        }
    }

    /// The first scored position.
    var firstScored: Int { secondHalf ? ctx / 2 : scoreFrom }

    func run() throws {
        let description = try QuantizedCheckpointLoader.open(try ModelLoader.resolve(model))
        try TextLength.checkWindow(ctx, option: "--ctx", config: description.config)
        var options = EvaluateStageOptions(text: text, context: ctx, windows: windows, scoreFrom: firstScored)
        options.rawNewlines = rawNewlines
        let evaluation = try EvaluationText(options,
                                            tokenizer: try EvaluationInputs.tokenizer(of: description))
        let subject = try EvaluationInputs.model(description).resident()
        let original = try against.map {
            try EvaluationInputs.model(try QuantizedCheckpointLoader.open(try ModelLoader.resolve($0))).resident()
        }
        let clock = ProgressClock()
        let result = try EvaluateStage.run(subject, against: original, text: evaluation) { done, total in
            ProgressOutput.standardError("eval: window \(done)/\(total), " + clock.elapsedAndETA(done: done, total: total),
                                         terminator: "\r")
        }
        ProgressOutput.standardError("")
        print(json ? try Self.json(result) : Self.text(result))
    }

    static func json(_ r: EvaluationResult) throws -> String {
        try JSONPolicy.string(r, style: .compact)
    }

    static func text(_ r: EvaluationResult) -> String {
        var lines = [String(format: "PPL %.4f  (%d windows x %d tokens, %d predicted)", r.ppl, r.windows, r.ctx, r.tokens)]
        if let kl = r.kl, let top1 = r.top1Agree {
            lines.append(String(format: "KL %.6f nats/token, top-1 agreement %.4f", kl, top1))
        }
        return lines.joined(separator: "\n")
    }
}
