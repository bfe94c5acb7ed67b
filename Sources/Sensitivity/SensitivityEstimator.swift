/// How the profiler turns a layer's quantization error into a score s(l, f).
///
/// All three start from the same fake-quantized weight Q_f(W) (round to nearest in format f).
public enum SensitivityEstimator: String, CaseIterable, Codable, Sendable {
    /// tr(dW H dW^T) / tokens with dW = Q_f(W) - W and H = X^T X the layer's input Gram matrix over
    /// the calibration tokens: the mean squared error of the layer's output per token, summed over
    /// output features. Units: squared activation units per token, **not** nats; scores of different
    /// layers add up only within one layer's scale, so the search may use them for ranking but the
    /// sums are not model loss. No extra forward pass.
    case outputError = "output-error"
    /// output-error scaled to model loss: s(l, f) = a_l x outputError(l, f), with the gain
    /// a_l = KL(probe) / outputError(l, probe) measured once per layer by replaying the model from the
    /// cached block input with layer l quantized in the probe format (the linearity of HIGGS,
    /// arXiv 2411.17525). Units: nats per token (mean KL of the output distribution).
    case calibrated
    /// The measured mean KL(original || quantized) at the model output with only layer l in format f,
    /// replayed from the cached block input. Exact on the probe windows and the slowest: one replay per
    /// layer and format. Units: nats per token.
    case kl

    /// One-line description for help text.
    public var summary: String {
        switch self {
        case .outputError: return "tr(dW H dW^T)/tokens from the input Gram matrix; no forward passes; not in nats"
        case .calibrated: return "output-error x a per-layer gain from one measured KL probe; nats/token (default)"
        case .kl: return "measured KL with only this layer quantized, per layer and format; nats/token, slow"
        }
    }

    /// Whether the scores are in nats per token (model loss) and so add up across layers.
    public var isModelLoss: Bool { self != .outputError }
}
