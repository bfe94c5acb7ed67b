import Foundation
import Model
import Sensitivity
import TensorCore

/// Small random Llama models built in memory for the profiler's tests (seeded).
enum TinyModel {
    /// hidden 32, 2 blocks, 4 heads of 8 (2 KV heads), FFN 64, vocabulary 50: every linear layer's
    /// input width (32 or 64) is a multiple of 32.
    static func config(hidden: Int = 32, ffn: Int = 64, layers: Int = 2) -> ModelConfig {
        ModelConfig(modelType: "llama", hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: 4,
                    numKeyValueHeads: 2, intermediateSize: ffn, ropeTheta: 10_000, rmsNormEps: 1e-5,
                    tieWordEmbeddings: false, vocabSize: 50, maxPositionEmbeddings: 256)
    }

    static func gaussians(_ n: Int, _ rng: inout SplitMix64, scale: Float, offset: Float = 0) -> [Float] {
        (0..<n).map { _ in offset + scale * rng.nextGaussian() }
    }

    /// Random weights in Hugging Face layout (linear weights N(0, (1.5 / sqrt(in))^2)).
    static func tensors(_ c: ModelConfig, seed: UInt64 = 7) -> InMemoryTensors {
        var rng = SplitMix64(seed: seed)
        var t = InMemoryTensors()
        let h = c.hiddenSize
        t.set("model.embed_tokens.weight", shape: [c.vocabSize, h], gaussians(c.vocabSize * h, &rng, scale: 1))
        for b in 0..<c.numHiddenLayers {
            let p = "model.layers.\(b)."
            t.set(p + "input_layernorm.weight", shape: [h], gaussians(h, &rng, scale: 0.1, offset: 1))
            t.set(p + "post_attention_layernorm.weight", shape: [h], gaussians(h, &rng, scale: 0.1, offset: 1))
            for kind in LinearKind.allCases {
                let s = c.linearShape(of: kind)
                t.set(p + kind.modulePath + ".weight", shape: s,
                      gaussians(s[0] * s[1], &rng, scale: 1.5 / Float(s[1]).squareRoot()))
            }
        }
        t.set("model.norm.weight", shape: [h], gaussians(h, &rng, scale: 0.1, offset: 1))
        t.set("lm_head.weight", shape: [c.vocabSize, h], gaussians(c.vocabSize * h, &rng, scale: 0.5))
        return t
    }

    static func model(_ c: ModelConfig, tensors: InMemoryTensors) throws -> LlamaModel {
        try LlamaModel(config: c, source: tensors, ropeLayout: .rotateHalf)
    }

    static func tokens(_ n: Int, vocab: Int, seed: UInt64 = 3) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Int(rng.next() % UInt64(vocab)) }
    }

    /// A model identity for tests.
    static func identity(_ c: ModelConfig, _ t: InMemoryTensors) -> Sensitivity.ModelIdentity {
        Sensitivity.ModelIdentity(path: "tiny", architecture: c.modelType,
                                  fingerprint: Sensitivity.modelFingerprint(config: c, tensors: t.tensorInfos),
                                  totalParameters: t.tensorInfos.reduce(0) { $0 + $1.elementCount }, fixedTensors: [])
    }
}
