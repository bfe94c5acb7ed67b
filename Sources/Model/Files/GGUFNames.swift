/// Mapping between GGUF tensor names (llama.cpp's `llama-arch` names) and Hugging Face names.
public enum GGUFNames {
    /// GGUF per-block part -> Hugging Face module path inside `model.layers.N.`.
    static let blockParts: [(gguf: String, hf: String)] = [
        ("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"),
        ("attn_output", "self_attn.o_proj"), ("attn_q_norm", "self_attn.q_norm"),
        ("attn_k_norm", "self_attn.k_norm"), ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"),
        ("ffn_down", "mlp.down_proj"), ("attn_norm", "input_layernorm"),
        ("ffn_norm", "post_attention_layernorm"),
    ]
    /// Whole-model tensors.
    static let globalParts: [(gguf: String, hf: String)] = [
        ("token_embd", "model.embed_tokens"), ("output_norm", "model.norm"), ("output", "lm_head"),
    ]

    /// The Hugging Face name of a GGUF tensor, e.g. `blk.3.attn_q.weight` ->
    /// `model.layers.3.self_attn.q_proj.weight`. Names without a known mapping are returned unchanged.
    public static func huggingFace(_ gguf: String) -> String {
        let parts = gguf.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 4, parts[0] == "blk", let n = Int(parts[1]),
           let hf = blockParts.first(where: { $0.gguf == parts[2] })?.hf {
            return "model.layers.\(n).\(hf).\(parts[3])"
        }
        if parts.count == 2, let hf = globalParts.first(where: { $0.gguf == parts[0] })?.hf {
            return "\(hf).\(parts[1])"
        }
        return gguf
    }

    /// The GGUF name of a Hugging Face tensor name (the inverse of `huggingFace`).
    public static func gguf(_ hf: String) -> String {
        let parts = hf.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 5, parts[0] == "model", parts[1] == "layers", let n = Int(parts[2]) {
            let module = parts[3..<(parts.count - 1)].joined(separator: ".")
            if let g = blockParts.first(where: { $0.hf == module })?.gguf {
                return "blk.\(n).\(g).\(parts[parts.count - 1])"
            }
        }
        let module = parts.dropLast().joined(separator: ".")
        if parts.count >= 2, let g = globalParts.first(where: { $0.hf == module })?.gguf {
            return "\(g).\(parts[parts.count - 1])"
        }
        return hf
    }
}
