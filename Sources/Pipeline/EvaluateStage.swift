import Export
import Foundation
import Model
import Quant

/// What the evaluate stage measures on (`run`, `quantize --eval-windows`): the held-out text and
/// the windows cut from it.
public struct EvaluateStageOptions: Sendable, Equatable {
    /// Held-out text; nil: the cached alice29.txt.
    public var text: String?
    /// Tokens per window (the protocol's `ctx`), at least 2.
    public var context: Int
    /// Consecutive windows of `context` tokens from the start of the text; nil: every full window.
    public var windows: Int?
    /// First window position whose prediction is scored (0: all; ctx / 2: `llama-perplexity`'s positions).
    public var scoreFrom: Int
    /// Read the text's line ends as stored (llama.cpp's tools) instead of as universal newlines.
    public var rawNewlines = false

    public init(text: String? = nil, context: Int = 512, windows: Int? = 16, scoreFrom: Int = 0) {
        self.text = text
        self.context = context
        self.windows = windows
        self.scoreFrom = scoreFrom
    }
}

/// The evaluation text's tokens (the model's own tokenizer, no BOS), checked to hold the windows
/// the options ask for before any model runs.
public struct EvaluationText: Sendable {
    /// The text file read (the given one, or the cached alice29.txt).
    public let path: String
    public let tokens: [Int]
    /// Tokens per window, and the windows the protocol will evaluate (`Evaluation.windowCount`).
    public let context: Int
    public let windows: Int
    /// First window position scored (`EvaluateStageOptions.scoreFrom`).
    public let scoreFrom: Int

    /// - Throws: `TokenizerError.unreadableText` (names the file), `PipelineError.textTooShort`.
    public init(_ options: EvaluateStageOptions, tokenizer: Tokenizer) throws {
        path = try options.text ?? Assets.path(.alice29)
        tokens = try EvaluationInputs.tokens(ofTextFile: path, tokenizer: tokenizer, universalNewlines: !options.rawNewlines)
        try TextLength.check(tokens.count, path: path, role: .evaluation, windows: options.windows ?? 1,
                             length: options.context)
        context = options.context
        windows = try Evaluation.windowCount(tokens: tokens.count, ctx: context, requested: options.windows)
        scoreFrom = options.scoreFrom
    }
}

/// The evaluate stage: perplexity of a model on the held-out text and, against the original, mean
/// KL(original || model) in nats per token and top-1 agreement on the same positions (the protocol
/// of `Evaluation.run`). `progress(done, total)` follows each window.
public enum EvaluateStage {
    /// - Throws: `PipelineError.nonFiniteResult` when the perplexity, KL or agreement is not a finite
    ///   number (a model with NaN weights or a broken configuration must not report `PPL nan`).
    public static func run(_ model: ResidentLlama, against original: ResidentLlama?, text: EvaluationText,
                           progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationResult {
        let result = try Evaluation.run(model: model, tokens: text.tokens, ctx: text.context, windows: text.windows,
                                        scoreFrom: text.scoreFrom, against: original, progress: progress)
        try checkFinite(result)
        return result
    }

    /// Refuses a result whose perplexity, KL, agreement or original perplexity is NaN or infinite.
    /// - Throws: `PipelineError.nonFiniteResult` naming the quantity and its value.
    public static func checkFinite(_ result: EvaluationResult) throws {
        let values: [(String, Double?)] = [("PPL", result.ppl), ("KL", result.kl), ("top-1 agreement", result.top1Agree),
                                           ("the original's PPL", result.originalPPL)]
        for case let (quantity, value?) in values where !value.isFinite {
            throw PipelineError.nonFiniteResult(quantity: quantity, value: value)
        }
    }

    /// The checkpoint written at `path`, read back from disk as a user would, against the original.
    public static func run(checkpoint path: String, original: LlamaModel, text: EvaluationText,
                           progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationResult {
        let written = try QuantizedCheckpointLoader.open(path)
        let quantized = try EvaluationInputs.model(written).resident()
        return try run(quantized, against: try original.resident(), text: text, progress: progress)
    }
}
