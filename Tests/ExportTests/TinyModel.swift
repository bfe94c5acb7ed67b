import Foundation
import TensorCore
@testable import Model

/// Small random Llama models in memory (seeded), in Hugging Face layout.
enum TinyModel {
    static let config = ModelConfig(modelType: "llama", hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                                    numKeyValueHeads: 2, intermediateSize: 128, ropeTheta: 10_000, rmsNormEps: 1e-5,
                                    tieWordEmbeddings: false, vocabSize: 50, maxPositionEmbeddings: 64)

    /// Random weights; linear weights N(0, 1.5^2 / in).
    static func tensors(seed: UInt64 = 1) -> InMemoryTensors {
        let c = config
        var rng = SplitMix64(seed: seed)
        func randoms(_ n: Int, _ scale: Float, _ offset: Float = 0) -> [Float] {
            (0..<n).map { _ in offset + scale * rng.nextGaussian() }
        }
        var t = InMemoryTensors()
        t.set("model.embed_tokens.weight", shape: [c.vocabSize, c.hiddenSize], randoms(c.vocabSize * c.hiddenSize, 1))
        for b in 0..<c.numHiddenLayers {
            let p = "model.layers.\(b)."
            t.set(p + "input_layernorm.weight", shape: [c.hiddenSize], randoms(c.hiddenSize, 0.1, 1))
            t.set(p + "post_attention_layernorm.weight", shape: [c.hiddenSize], randoms(c.hiddenSize, 0.1, 1))
            for kind in LinearKind.allCases {
                let s = c.linearShape(of: kind)
                t.set(p + kind.modulePath + ".weight", shape: s, randoms(s[0] * s[1], 1.5 / Float(s[1]).squareRoot()))
            }
        }
        t.set("model.norm.weight", shape: [c.hiddenSize], randoms(c.hiddenSize, 0.1, 1))
        t.set("lm_head.weight", shape: [c.vocabSize, c.hiddenSize], randoms(c.vocabSize * c.hiddenSize, 0.5))
        return t
    }

    /// The same tensors with Q/K rows in GGUF's adjacent-pair layout (llama.cpp's permute:
    /// GGUF row 2 i + j of a head is HF row j d/2 + i).
    static func ggufLayout(_ hf: InMemoryTensors) throws -> InMemoryTensors {
        var out = hf
        let d = config.headDim
        for info in hf.tensorInfos {
            let heads: Int
            if info.name.hasSuffix("q_proj.weight") { heads = config.numAttentionHeads }
            else if info.name.hasSuffix("k_proj.weight") { heads = config.numKeyValueHeads }
            else { continue }
            let values = try hf.floats(info.name)
            let cols = info.shape[1]
            var permuted = values
            for h in 0..<heads {
                for i in 0..<(d / 2) {
                    for j in 0..<2 {
                        for c in 0..<cols {
                            permuted[(h * d + 2 * i + j) * cols + c] = values[(h * d + j * (d / 2) + i) * cols + c]
                        }
                    }
                }
            }
            out.set(info.name, shape: info.shape, permuted)
        }
        return out
    }

    static func tokens(_ n: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Int(rng.next() % UInt64(config.vocabSize)) }
    }

    static func temporaryFolder(_ name: String) -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("autoscheme-export-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(atPath: path)
        return path
    }
}
