import TensorCore

/// What a reverse pass delivers besides the loss. Everything is the gradient of the mean causal-LM
/// cross-entropy (nats per predicted token) over all windows of the call.
public enum GradientKind: String, CaseIterable, Sendable, Hashable {
    /// dL/dW of every linear layer (out x in, = dY^T X) and dL/db of Q/K/V biases when present.
    case weight
    /// dL/dY of every linear layer: tokens x out, the gradient at the layer's output (after the bias).
    case outputGradient
    /// X of every linear layer: tokens x in, the input it multiplies (recomputed, not stored).
    case input
    /// Gradients of every block's RMSNorm weights (and Qwen3's per-head Q/K norms).
    case norms
    /// Gradients of the embedding, final norm and LM head.
    case head
}

/// The gradients of one linear layer y = x W^T (+ b) on one batch of windows.
///
/// Rows of `outputGradient` and `input` are the batch's tokens in order (window-major). With the
/// mean loss over N predicted tokens, `weight` = outputGradient^T input exactly (one sgemm).
public struct LayerGradients: Sendable {
    /// dL/dW, out x in; nil unless `.weight` was wanted.
    public var weight: Matrix?
    /// dL/db (out), for Qwen2's q/k/v biases when `.weight` was wanted; nil otherwise.
    public var bias: [Float]?
    /// dL/dY, tokens x out; nil unless `.outputGradient` was wanted.
    public var outputGradient: Matrix?
    /// X, tokens x in; nil unless `.input` was wanted.
    public var input: Matrix?
    /// The windows (indices into the call's `windows`) these rows and sums cover.
    public var windows: Range<Int>
}

/// Gradients of one block's normalization weights.
public struct BlockNormGradients: Sendable, Equatable {
    /// dL/d(input_layernorm.weight), hidden.
    public var inputNorm: [Float]
    /// dL/d(post_attention_layernorm.weight), hidden.
    public var postAttentionNorm: [Float]
    /// dL/d(q_norm.weight), dL/d(k_norm.weight) (Qwen3, head_dim); nil when absent.
    public var qNorm: [Float]?, kNorm: [Float]?

    /// Elementwise sum (accumulating batches).
    public mutating func add(_ o: BlockNormGradients) {
        inputNorm = zip(inputNorm, o.inputNorm).map(+)
        postAttentionNorm = zip(postAttentionNorm, o.postAttentionNorm).map(+)
        if let a = qNorm, let b = o.qNorm { qNorm = zip(a, b).map(+) }
        if let a = kNorm, let b = o.kNorm { kNorm = zip(a, b).map(+) }
    }
}

/// The result of one block's reverse pass.
public struct BlockGradients: Sendable {
    /// dL/d(block input), rows x hidden.
    public var input: Matrix
    /// Per linear layer; every kind is present (fields nil as not wanted).
    public var layers: [LinearKind: LayerGradients]
    /// Norm weight gradients when `.norms` was wanted (empty arrays otherwise; Q/K norms nil when absent).
    public var norms: BlockNormGradients
}

/// Gradients of the embedding, final norm and LM head.
public struct HeadGradients: Sendable {
    /// dL/d(embed_tokens), vocab x hidden: rows of the input tokens, plus the LM head's gradient
    /// when the head is tied to the embedding.
    public var embedding: Matrix
    /// dL/d(model.norm.weight), hidden.
    public var finalNorm: [Float]
    /// dL/d(lm_head.weight), vocab x hidden; nil when tied.
    public var lmHead: Matrix?
}

/// What `ModelGradients.compute` returns beside the per-layer deliveries.
public struct GradientResult: Sendable {
    /// Mean negative log-likelihood in nats over the predicted positions (tokens 1..L-1 of each window).
    public var loss: Double
    /// Number of predicted positions: windows x (L - 1).
    public var predictedTokens: Int
    /// One entry per block (index order) when `.norms` was wanted, else empty.
    public var norms: [BlockNormGradients]
    /// When `.head` was wanted.
    public var head: HeadGradients?
}

/// Which labels the reverse pass differentiates the log-likelihood of.
public enum GradientLabels: Sendable, Equatable {
    /// The text's next tokens: the mean causal-LM cross-entropy over windows x (L - 1) predicted
    /// positions (each window's last position predicts nothing).
    case text
    /// At every position (the last of each window too) one label drawn from the model's own output
    /// distribution, with a uniform from SplitMix64 seeded by `seed` and the position's index in the
    /// call (window x L + position), so draws do not depend on the batch size. The gradient is of the
    /// summed negative log-likelihood of the drawn labels (scale 1, not a mean): its outer product
    /// has the model's Fisher information as expectation, the Hessian of KL(original || perturbed)
    /// at the original weights. The returned loss stays the text's mean NLL.
    case sampled(seed: UInt64)
}
