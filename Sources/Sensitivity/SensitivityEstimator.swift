/// How the profiler turns a layer's quantization error into a score s(l, f).
///
/// All five start from the same fake-quantized weight Q_f(W) (round to nearest in format f).
public enum SensitivityEstimator: String, CaseIterable, Codable, Sendable {
    /// tr(dW H dW^T) / tokens with dW = Q_f(W) - W and H = X^T X the layer's input Gram matrix over
    /// the calibration tokens: the mean squared error of the layer's output per token, summed over
    /// output features. Units: squared activation units per token, **not** nats; scores of different
    /// layers add up only within one layer's scale, so the search may use them for ranking but the
    /// sums are not model loss. No extra forward pass.
    case outputError = "output-error"
    /// An error e(l, f) scaled to model loss: s(l, f) = a_l(f) x e(l, f). e is output-error for o,
    /// gate, up and down, and for q, k and v the mean squared change of their block's output on the
    /// probe tokens (`ErrorSite`: their output reaches the residual stream only through softmax
    /// attention). Each probe format p gives a point (e(l, p), KL(l, p)), KL measured by replaying the
    /// model from the cached block input with layer l quantized in p (the linearity of HIGGS, arXiv
    /// 2411.17525); a_l(f) is KL / e interpolated linearly in ln e between the probes around f, the
    /// nearest probe's outside (`ProbeGain`; default probes int3/g128 and int4/g128). Units: nats per
    /// token (mean KL of the output distribution).
    case calibrated
    /// The measured mean KL(original || quantized) at the model output with only layer l in format f,
    /// replayed from the cached block input. Exact on the probe windows and the slowest: one replay per
    /// layer and format. Units: nats per token.
    case kl
    /// AutoRound AutoScheme's gradient score: s(l, f) = sum over batches b of sum_ij |G_b,ij (Q_f(W) - W)_ij|
    /// with G_b batch b's share of dL/dW of the mean causal-LM loss on the gradient windows (the
    /// absolute value per batch, as AutoRound's backward hook accumulates it). A first-order bound on the loss change; units: nats per token times weight units
    /// summed without sign cancellation, so **not** a loss in nats. One forward + backward pass.
    case deltaLoss = "delta-loss"
    /// NVIDIA ModelOpt auto_quantize's gradient (Fisher) score: s(l, f) = sum over tokens t and outputs o
    /// of (dL/dy_to)^2 (y_q - y)_to^2 with y_q - y = X (Q_f(W) - W)^T, the diagonal-Fisher estimate of
    /// the second-order loss change. Summed over batches. Units: squared (nats per token) gradient
    /// times squared activations, **not** nats. One forward + backward pass, one sgemm per layer and format.
    case fisher
    /// The second-order KL of the change from the model's own Fisher information, per token:
    /// s(l, f) = sum_t (g_t . (y_q - y)_t)^2 / (2 T) with y_q - y = X (Q_f(W) - W)^T and g_t the
    /// gradient at the layer's output, token t, of the summed log-likelihood of labels drawn from the
    /// model's own output distribution at every position (`GradientLabels.sampled`). Its expectation
    /// is sum_t (y_q - y)_t^T F_t (y_q - y)_t / (2 T), the quadratic term of the mean KL(original ||
    /// quantized) over the T positions, without the terms that couple two tokens' changes through
    /// attention. Units: nats per token. One forward + backward pass, one sgemm per layer and format.
    case fisherKL = "fisher-kl"

    /// One-line description for help text.
    public var summary: String {
        switch self {
        case .outputError: return "tr(dW H dW^T)/tokens from the input Gram matrix; no forward passes; not in nats"
        case .calibrated: return "output-error (q/k/v: block-output error) x a per-layer gain interpolated between measured KL probes; nats/token"
        case .kl: return "measured KL with only this layer quantized, per layer and format; nats/token, slow"
        case .deltaLoss: return "sum |dL/dW x (Q(W) - W)| from one backward pass (AutoRound AutoScheme); not in nats"
        case .fisher: return "sum (dL/dy)^2 (X (Q(W) - W)^T)^2 over tokens and outputs (ModelOpt auto_quantize); not in nats"
        case .fisherKL: return "second-order KL per token from one backward pass of labels drawn from the model (its Fisher); nats/token (default)"
        }
    }

    /// Whether the scores are in nats per token (model loss) and so add up across layers.
    public var isModelLoss: Bool {
        switch self {
        case .calibrated, .kl, .fisherKL: return true
        case .outputError, .deltaLoss, .fisher: return false
        }
    }

    /// Revision of the estimator's definition: raised whenever the same inputs would give different
    /// scores, so cached profiles (`ProfileCache`) of an older definition are not reused.
    /// `calibrated` 3: q/k/v errors measured at their block's output (`ErrorSite`); 2: gains
    /// interpolated between several probes; 1: one probe per layer.
    public var definitionRevision: Int {
        switch self {
        case .calibrated: return 3
        case .outputError, .kl, .deltaLoss, .fisher, .fisherKL: return 1
        }
    }

    /// The estimator `profile` and `run` use unless told otherwise: `fisher-kl`. On the default model
    /// it ranks 16 held-out plans as well as `calibrated` (reports/sensitivity.md) from one gradient
    /// pass instead of 420 KL probes, and its cost scales with the formats asked for.
    public static let standard = SensitivityEstimator.fisherKL

    /// Whether the estimator needs the gradient pass (`ModelGradients`).
    public var needsGradients: Bool { self == .deltaLoss || self == .fisher || self == .fisherKL }

    /// Whether the estimator needs the KL probes.
    public var needsProbes: Bool { self == .calibrated || self == .kl }
}
