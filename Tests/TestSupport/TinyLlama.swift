import Foundation
import Model
import TensorCore

/// Small random Llama-family models built in memory for tests, in Hugging Face layout, seeded so runs
/// repeat. Shared by the test targets that need a model (Model, Sensitivity, Export).
public enum TinyLlama {
    /// A configuration with test-sized defaults (hidden 16, 2 blocks, 4 heads of 4, 2 KV heads,
    /// FFN 24, vocabulary 40, 64 positions, RoPE theta 10 000, RMS-norm epsilon 1e-5).
    public static func config(_ type: String = "llama", hidden: Int = 16, layers: Int = 2, heads: Int = 4,
                              kvHeads: Int = 2, headDim: Int? = nil, ffn: Int = 24, vocab: Int = 40,
                              tied: Bool = false, maxPositions: Int = 64) -> ModelConfig {
        ModelConfig(modelType: type, hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: heads,
                    numKeyValueHeads: kvHeads, headDim: headDim, intermediateSize: ffn, ropeTheta: 10_000,
                    rmsNormEps: 1e-5, tieWordEmbeddings: tied, vocabSize: vocab, maxPositionEmbeddings: maxPositions)
    }

    /// `n` values offset + scale * N(0, 1) drawn from `rng`.
    public static func randoms(_ n: Int, _ rng: inout SplitMix64, scale: Float, offset: Float = 0) -> [Float] {
        (0..<n).map { _ in offset + scale * rng.nextGaussian() }
    }

    /// Random weights for `c`, drawn in a fixed order from SplitMix64(seed): embedding N(0, 1); per block
    /// the two norms 1 + N(0, 0.1^2), each linear weight (in `LinearKind.allCases` order)
    /// N(0, (1.5 / sqrt(in))^2), then Qwen2 biases N(0, 0.3^2) and Qwen3 head norms 1 + N(0, 0.2^2)
    /// where the architecture has them; the final norm 1 + N(0, 0.1^2); an untied head N(0, 0.5^2).
    public static func tensors(_ c: ModelConfig, seed: UInt64 = 1) -> InMemoryTensors {
        var rng = SplitMix64(seed: seed)
        var t = InMemoryTensors()
        let h = c.hiddenSize
        t.set("model.embed_tokens.weight", shape: [c.vocabSize, h], randoms(c.vocabSize * h, &rng, scale: 1))
        for b in 0..<c.numHiddenLayers {
            let p = "model.layers.\(b)."
            t.set(p + "input_layernorm.weight", shape: [h], randoms(h, &rng, scale: 0.1, offset: 1))
            t.set(p + "post_attention_layernorm.weight", shape: [h], randoms(h, &rng, scale: 0.1, offset: 1))
            for kind in LinearKind.allCases {
                let s = c.linearShape(of: kind)
                t.set(p + kind.modulePath + ".weight", shape: s,
                      randoms(s[0] * s[1], &rng, scale: 1.5 / Float(s[1]).squareRoot()))
            }
            if c.attentionBias {
                t.set(p + "self_attn.q_proj.bias", shape: [c.queryWidth], randoms(c.queryWidth, &rng, scale: 0.3))
                t.set(p + "self_attn.k_proj.bias", shape: [c.keyValueWidth], randoms(c.keyValueWidth, &rng, scale: 0.3))
                t.set(p + "self_attn.v_proj.bias", shape: [c.keyValueWidth], randoms(c.keyValueWidth, &rng, scale: 0.3))
            }
            if c.modelType == "qwen3" {
                t.set(p + "self_attn.q_norm.weight", shape: [c.headDim], randoms(c.headDim, &rng, scale: 0.2, offset: 1))
                t.set(p + "self_attn.k_norm.weight", shape: [c.headDim], randoms(c.headDim, &rng, scale: 0.2, offset: 1))
            }
        }
        t.set("model.norm.weight", shape: [h], randoms(h, &rng, scale: 0.1, offset: 1))
        if !c.tieWordEmbeddings {
            t.set("lm_head.weight", shape: [c.vocabSize, h], randoms(c.vocabSize * h, &rng, scale: 0.5))
        }
        return t
    }

    /// The forward-pass model of `c` over `tensors(c, seed:)`.
    public static func model(_ c: ModelConfig, seed: UInt64 = 1, layout: RopeLayout = .rotateHalf) throws -> LlamaModel {
        try LlamaModel(config: c, source: tensors(c, seed: seed), ropeLayout: layout)
    }

    /// `n` token ids uniform in 0..<vocab (SplitMix64(seed).next() % vocab).
    public static func tokens(_ n: Int, vocab: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Int(rng.next() % UInt64(vocab)) }
    }
}
