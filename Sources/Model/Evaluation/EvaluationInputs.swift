import Foundation

/// Turns a model file and a text file into what evaluation needs: a runnable model and token ids.
public enum EvaluationInputs {
    /// The byte-level BPE tokenizer embedded in a GGUF model's `tokenizer.ggml.*` metadata
    /// (tokens, merges, token types, pre-tokenizer name, bos/eos, add_bos_token).
    /// Throws `LlamaError.noTokenizer` for a model without GGUF tokenizer metadata.
    public static func tokenizer(of description: ModelDescription) throws -> Tokenizer {
        guard let meta = description.gguf?.metadata else {
            throw LlamaError.noTokenizer(path: description.path, reason: "only GGUF files with tokenizer.ggml.* metadata are supported")
        }
        guard let tokens = meta["tokenizer.ggml.tokens"]?.stringArray else {
            throw LlamaError.noTokenizer(path: description.path, reason: "tokenizer.ggml.tokens is missing")
        }
        let merges = meta["tokenizer.ggml.merges"]?.stringArray ?? []
        let types = meta["tokenizer.ggml.token_type"]?.arrayValue?.compactMap { $0.intValue.map(Int32.init) }
        return try Tokenizer(tokens: tokens, merges: merges, tokenTypes: types,
                             preTokenizer: try PreTokenizer(named: meta["tokenizer.ggml.pre"]?.stringValue ?? "gpt2"),
                             bosTokenId: meta["tokenizer.ggml.bos_token_id"]?.intValue,
                             eosTokenId: meta["tokenizer.ggml.eos_token_id"]?.intValue,
                             addBos: meta["tokenizer.ggml.add_bos_token"]?.boolValue ?? false)
    }

    /// Token ids of a text file by the evaluation protocol: UTF-8 read with universal newlines
    /// (`Tokenizer.loadText`), no BOS, special tokens not parsed.
    public static func tokens(ofTextFile path: String, tokenizer: Tokenizer) throws -> [Int] {
        let text = try Tokenizer.loadText(URL(fileURLWithPath: path))
        return tokenizer.encode(text, addSpecialTokens: false, parseSpecial: false)
    }

    /// Opens a model file as a runnable Llama-family model (validates config and tensor shapes).
    public static func model(_ description: ModelDescription) throws -> LlamaModel {
        try LlamaModel(config: description.config, source: description.tensors, ropeLayout: description.ropeLayout)
    }
}
