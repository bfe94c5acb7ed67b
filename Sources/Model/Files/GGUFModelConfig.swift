/// Reading a `ModelConfig` and the RoPE layout from GGUF metadata.
public enum GGUFModelConfig {
    /// Architectures this project runs, with the RoPE layout of their Q/K rows in GGUF files.
    ///
    /// llama.cpp's converter permutes Q/K rows of Llama-family models (llama, mistral) so that its
    /// "normal" RoPE rotates adjacent pairs; Qwen2/Qwen3 are converted without the permutation and run
    /// with NEOX RoPE (rotate half), the Hugging Face layout (`llama_model_rope_type` in llama-model.cpp).
    public static let ropeLayouts: [String: RopeLayout] = [
        "llama": .adjacentPairs, "mistral": .adjacentPairs, "qwen2": .rotateHalf, "qwen3": .rotateHalf,
    ]

    /// The configuration of the model in `source` (first file's metadata).
    ///
    /// Keys: `{arch}.block_count`, `.embedding_length`, `.feed_forward_length`, `.attention.head_count`,
    /// `.attention.head_count_kv` (default: head_count), `.rope.freq_base` (default 10000),
    /// `.attention.layer_norm_rms_epsilon` (default 1e-5), `.context_length` (default 2048),
    /// `.attention.key_length` (default embedding / heads). Vocabulary: `tokenizer.ggml.tokens` count,
    /// else the embedding's row count. Tied when there is no `output.weight`; attention bias when
    /// `blk.0.attn_q.bias` exists.
    public static func config(_ source: GGUFTensorSource) throws -> ModelConfig {
        let path = source.files.first?.path ?? ""
        let meta = source.metadata
        guard let arch = meta["general.architecture"]?.stringValue else {
            throw ModelFileError.missingMetadata(path: path, key: "general.architecture")
        }
        guard ropeLayouts[arch] != nil else { throw ModelFileError.unsupportedArchitecture(path: path, architecture: arch) }
        func int(_ key: String) throws -> Int {
            guard let v = meta["\(arch).\(key)"]?.intValue, v > 0 else {
                throw ModelFileError.missingMetadata(path: path, key: "\(arch).\(key)")
            }
            return v
        }
        func optional(_ key: String) -> GGUFValue? { meta["\(arch).\(key)"] }
        let hidden = try int("embedding_length"), heads = try int("attention.head_count")
        let embedding = source.ggufInfo("model.embed_tokens.weight")
        let vocab = meta["tokenizer.ggml.tokens"]?.arrayValue?.count ?? embedding?.shape.first
        guard let vocab, vocab > 0 else { throw ModelFileError.missingMetadata(path: path, key: "tokenizer.ggml.tokens") }
        return ModelConfig(
            modelType: arch, hiddenSize: hidden, numHiddenLayers: try int("block_count"),
            numAttentionHeads: heads,
            numKeyValueHeads: optional("attention.head_count_kv")?.intValue ?? heads,
            headDim: optional("attention.key_length")?.intValue,
            intermediateSize: try int("feed_forward_length"),
            ropeTheta: optional("rope.freq_base")?.doubleValue ?? 10_000,
            rmsNormEps: optional("attention.layer_norm_rms_epsilon")?.doubleValue ?? 1e-5,
            tieWordEmbeddings: source.ggufInfo("lm_head.weight") == nil,
            vocabSize: vocab,
            attentionBias: source.ggufInfo("model.layers.0.self_attn.q_proj.bias") != nil,
            maxPositionEmbeddings: optional("context_length")?.intValue ?? 2048,
            bosTokenId: meta["tokenizer.ggml.bos_token_id"]?.intValue,
            eosTokenId: meta["tokenizer.ggml.eos_token_id"]?.intValue)
    }
}
