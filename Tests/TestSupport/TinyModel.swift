import Foundation
import Model
import TensorCore

/// A small random Llama model in memory (seeded, hidden 64, 2 blocks, 4 heads of 16, 2 KV heads, FFN 128,
/// vocabulary 50), in Hugging Face layout, for the quantize-stage and export tests.
public enum TinyModel {
    public static let config = TinyLlama.config(hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, vocab: 50)

    /// Random weights (`TinyLlama.tensors`); linear weights N(0, 1.5^2 / in).
    public static func tensors(seed: UInt64 = 1) -> InMemoryTensors {
        TinyLlama.tensors(config, seed: seed)
    }

    /// The same tensors with Q/K rows in GGUF's adjacent-pair layout (llama.cpp's permute:
    /// GGUF row 2 i + j of a head is HF row j d/2 + i).
    public static func ggufLayout(_ hf: InMemoryTensors) throws -> InMemoryTensors {
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

    public static func tokens(_ n: Int, seed: UInt64) -> [Int] {
        TinyLlama.tokens(n, vocab: config.vocabSize, seed: seed)
    }

    public static func temporaryFolder(_ name: String) -> String {
        TestScratch.path("autoscheme-export-\(name)")
    }
}
