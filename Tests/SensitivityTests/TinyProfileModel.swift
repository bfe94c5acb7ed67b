import Foundation
import Model
import Sensitivity
import TensorCore
import TestSupport

/// Small random Llama models built in memory for the profiler's tests (seeded); smaller than
/// `TestSupport.TinyModel` and sized by each test.
enum TinyProfileModel {
    /// hidden 32, 2 blocks, 4 heads of 8 (2 KV heads), FFN 64, vocabulary 50: every linear layer's
    /// input width (32 or 64) is a multiple of 32.
    static func config(hidden: Int = 32, ffn: Int = 64, layers: Int = 2) -> ModelConfig {
        TinyLlama.config(hidden: hidden, layers: layers, heads: 4, kvHeads: 2, ffn: ffn, vocab: 50, maxPositions: 256)
    }

    /// Random weights in Hugging Face layout (`TinyLlama.tensors`: linear weights N(0, (1.5 / sqrt(in))^2)).
    static func tensors(_ c: ModelConfig, seed: UInt64 = 7) -> InMemoryTensors {
        TinyLlama.tensors(c, seed: seed)
    }

    static func model(_ c: ModelConfig, tensors: InMemoryTensors) throws -> LlamaModel {
        try LlamaModel(config: c, source: tensors, ropeLayout: .rotateHalf)
    }

    static func tokens(_ n: Int, vocab: Int, seed: UInt64 = 3) -> [Int] {
        TinyLlama.tokens(n, vocab: vocab, seed: seed)
    }

    /// A model identity for tests.
    static func identity(_ c: ModelConfig, _ t: InMemoryTensors) -> Sensitivity.ModelIdentity {
        Sensitivity.ModelIdentity(path: "tiny", architecture: c.modelType,
                                  fingerprint: Sensitivity.modelFingerprint(config: c, tensors: t.tensorInfos),
                                  totalParameters: t.tensorInfos.reduce(0) { $0 + $1.elementCount }, fixedTensors: [])
    }
}
