import Model

/// The signed step of a block's RMSNorm weights (`--norm-step`), tuned with the block's SignRound
/// parameters on the same loss: the two hidden-wide norms (`input_layernorm`,
/// `post_attention_layernorm`) scale each input channel of q/k/v and of gate/up, a per-channel
/// correction that the per-group scales of the quantized weights cannot express.
///
/// Iteration t of T moves each weight g_j by a fraction of its starting value against the sign of its
/// gradient: g_j <- g_j - eta_t |g0_j| sign(dL/dg_j), eta_t = eta0 (1 - t / T), eta0 = factor / T. A weight
/// can travel at most sum_t eta_t |g0_j|, about factor / 2 of its starting value; a weight that starts at
/// 0 stays there (it passes nothing). sign(0) = 0, so a weight without gradient stays put.
struct BlockNormStep: Sendable, Equatable {
    /// factor: eta0 x T (0: the norms are not tuned).
    var factor: Float

    /// Whether the norms are tuned at all.
    var isActive: Bool { factor > 0 }

    /// Moves `norm` one step of iteration t of `iterations` from its starting value `start`.
    func apply(_ norm: inout [Float], start: [Float], gradient: [Float], iteration t: Int, of iterations: Int) {
        precondition(norm.count == start.count && norm.count == gradient.count, "BlockNormStep: widths differ")
        let steps = Float(max(iterations, 1))
        let eta = factor / steps * (1 - Float(t) / steps)
        for j in norm.indices {
            let g = gradient[j]
            guard g == g, g != 0 else { continue }
            norm[j] -= eta * abs(start[j]) * (g > 0 ? 1 : -1)
        }
    }

    /// One step of both hidden-wide norms of `block` from `original`'s.
    func apply(to block: inout LlamaBlockWeights, original: LlamaBlockWeights, gradients: BlockNormGradients,
               iteration t: Int, of iterations: Int) {
        apply(&block.inputNorm, start: original.inputNorm, gradient: gradients.inputNorm, iteration: t, of: iterations)
        apply(&block.postAttentionNorm, start: original.postAttentionNorm, gradient: gradients.postAttentionNorm,
              iteration: t, of: iterations)
    }
}
