import Foundation
import TensorCore

/// Perplexity, and the divergence of a model's next-token distribution from an original's.
public struct EvaluationResult: Codable, Sendable, Equatable {
    /// exp(total NLL / predicted tokens).
    public var ppl: Double
    /// Mean KL(original || model) in nats per predicted token; nil without an original.
    public var kl: Double?
    /// Fraction of predicted tokens where both models' argmax agree; nil without an original.
    public var top1Agree: Double?
    /// The original's perplexity on the same tokens (from the same forward passes); nil without one.
    /// Not part of `eval --json`'s documented keys.
    public var originalPPL: Double? = nil
    /// Predicted (scored) tokens: windows x (ctx - 1).
    public var tokens: Int
    /// Window length in tokens.
    public var ctx: Int
    /// Windows evaluated.
    public var windows: Int
    /// Perplexity after each window (running), for progress and reference checks.
    public var runningPPL: [Double] = []

    enum CodingKeys: String, CodingKey {
        case ppl, kl, top1Agree = "top1_agree", tokens, ctx, windows
    }
}

/// The evaluation protocol: the whole text's token ids are cut into consecutive, non-overlapping
/// windows of `ctx` tokens from the start (a tail shorter than `ctx` is dropped); each window runs on
/// its own, and the predictions of its tokens 1..ctx-1 are scored. PPL = exp(total NLL / predicted).
/// NLL and KL are summed in Double.
public enum Evaluation {
    /// Number of windows the protocol uses: `requested` (all full windows when nil).
    /// Throws `LlamaError.textTooShort` when the text holds fewer than that many full windows.
    public static func windowCount(tokens: Int, ctx: Int, requested: Int?) throws -> Int {
        guard ctx >= 2 else {
            throw LlamaError.unsupportedConfig(field: "ctx", value: ctx, reason: "a window needs at least 2 tokens")
        }
        let available = tokens / ctx
        let n = requested ?? available
        guard n >= 1, n <= available else {
            let (needed, overflow) = max(n, 1).multipliedReportingOverflow(by: ctx)
            throw LlamaError.textTooShort(tokens: tokens, needed: overflow ? Int.max : needed)
        }
        return n
    }

    /// Evaluates `model` on `tokens`; with `original`, also KL(original || model) and top-1 agreement
    /// on the same positions. `progress(done, total)` is called after each window.
    /// - Complexity: one forward pass per window per model, plus O(ctx x vocab) for the statistics.
    /// - Parameter scoreFrom: the first window position whose prediction is scored (0: every one, the
    ///   protocol's default). `llama-perplexity` scores from ctx / 2 on (the second half of each window,
    ///   so every scored token has at least ctx / 2 tokens of context); pass that to compare like for like.
    public static func run(model: ResidentLlama, tokens: [Int], ctx: Int = 512, windows: Int? = nil,
                           scoreFrom: Int = 0, against original: ResidentLlama? = nil,
                           progress: ((Int, Int) -> Void)? = nil) throws -> EvaluationResult {
        let count = try windowCount(tokens: tokens.count, ctx: ctx, requested: windows)
        guard scoreFrom >= 0, scoreFrom < ctx - 1 else {
            throw LlamaError.unsupportedConfig(field: "scoreFrom", value: scoreFrom, reason: "must be in 0..<\(ctx - 1) (ctx - 1)")
        }
        if let original, original.config.vocabSize != model.config.vocabSize {
            throw LlamaError.mismatchedModels("vocab_size \(model.config.vocabSize) vs \(original.config.vocabSize)")
        }
        var nll = 0.0, originalNLL = 0.0, kl = 0.0, agree = 0, predicted = 0
        var running: [Double] = []
        for w in 0..<count {
            let window = Array(tokens[(w * ctx)..<((w + 1) * ctx)])
            let logits = try model.logits(sequences: [window])
            let reference = try original?.logits(sequences: [window])
            let vocab = logits.cols
            logits.data.withUnsafeBufferPointer { pl in
                for i in scoreFrom..<(ctx - 1) {
                    let row = UnsafeBufferPointer(rebasing: pl[(i * vocab)..<((i + 1) * vocab)])
                    nll += Divergence.negativeLogLikelihood(row, target: window[i + 1])
                    if let reference {
                        reference.data.withUnsafeBufferPointer { pr in
                            let ref = UnsafeBufferPointer(rebasing: pr[(i * vocab)..<((i + 1) * vocab)])
                            kl += Divergence.kl(reference: ref, other: row)
                            originalNLL += Divergence.negativeLogLikelihood(ref, target: window[i + 1])
                            if Divergence.argmax(ref) == Divergence.argmax(row) { agree += 1 }
                        }
                    }
                }
            }
            predicted += ctx - 1 - scoreFrom
            running.append(exp(nll / Double(predicted)))
            progress?(w + 1, count)
        }
        return EvaluationResult(ppl: exp(nll / Double(predicted)),
                                kl: original == nil ? nil : kl / Double(predicted),
                                top1Agree: original == nil ? nil : Double(agree) / Double(predicted),
                                originalPPL: original == nil ? nil : exp(originalNLL / Double(predicted)),
                                tokens: predicted, ctx: ctx, windows: count, runningPPL: running)
    }
}
