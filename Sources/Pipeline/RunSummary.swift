import Foundation

/// What `autoscheme run` reports at the end (printed, and written as `OUTDIR/summary.json`).
public struct RunSummary: Codable, Sendable {
    /// Seconds spent per stage, in run order.
    public struct StageTime: Codable, Sendable {
        public var stage: RunStage
        public var seconds: Double
    }

    public var model: String
    /// Target and achieved average bits per weight of the searched layers, and of the whole model.
    public var targetBits: Double
    public var achievedBits: Double
    public var modelBits: Double
    /// Predicted loss of the plan (sum of the chosen scores, nats/token).
    public var predictedLoss: Double
    /// Whether the profile came from the cache.
    public var profileReused: Bool
    /// Evaluation text, windows of `ctx` tokens, and the results (original vs quantized).
    public var evaluationText: String
    public var evaluationTokens: Int
    public var ctx: Int
    public var windows: Int
    public var originalPPL: Double
    public var quantizedPPL: Double
    /// Mean KL divergence of the quantized model's next-token distribution from the original's, nats/token.
    public var kl: Double
    /// Fraction of positions whose top-1 prediction agrees with the original, in [0, 1].
    public var top1Agree: Double
    public var stages: [StageTime]
    /// Output paths.
    public var output: String
    public var files: [String: String]

    enum CodingKeys: String, CodingKey {
        case model, stages, output, files, kl, ctx, windows
        case targetBits = "target_bits", achievedBits = "achieved_bits", modelBits = "model_bits"
        case predictedLoss = "predicted_loss", profileReused = "profile_reused"
        case evaluationText = "eval_text", evaluationTokens = "eval_tokens"
        case originalPPL = "ppl_original", quantizedPPL = "ppl_quantized", top1Agree = "top1_agree"
    }

    /// Total wall time, seconds.
    public var totalSeconds: Double { stages.reduce(0) { $0 + $1.seconds } }

    /// The human summary: bits, PPL original -> quantized, KL, time per stage, paths.
    public func text() -> String {
        var lines = [
            String(format: "Achieved %.4f bits/weight on the searched layers (target %.4g), %.4f over the whole model.",
                   achievedBits, targetBits, modelBits),
            String(format: "Predicted loss %.4g nats/token%@.", predictedLoss, profileReused ? " (profile reused from the cache)" : ""),
            String(format: "%@, %d x %d tokens: PPL %.3f -> %.3f, KL %.4f nats/token, top-1 agreement %.1f%%.",
                   (evaluationText as NSString).lastPathComponent, windows, ctx, originalPPL, quantizedPPL, kl,
                   100 * top1Agree),
            "Time: " + stages.map { String(format: "%@ %.1f s", $0.stage.rawValue, $0.seconds) }.joined(separator: ", ")
                + String(format: "; total %.1f s.", totalSeconds),
        ]
        lines += files.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
        return lines.joined(separator: "\n")
    }
}

/// The stages of `autoscheme run`, in order.
public enum RunStage: String, Codable, Sendable, CaseIterable {
    case load, profile, search, quantize, export, evaluate, report
}
