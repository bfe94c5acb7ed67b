/// Building a tokenizer from the `tokenizer.ggml.*` metadata of a GGUF file.
extension Tokenizer {
    /// Reads `tokenizer.ggml.tokens`, `.merges`, `.token_type`, `.pre` (default `gpt2`),
    /// `.bos_token_id`, `.eos_token_id` and `.add_bos_token` (default false).
    /// - Throws: `TokenizerError.invalidTokenizerFile` naming `path` when tokens or merges are absent,
    ///   and the errors of `init(tokens:merges:...)` for malformed contents.
    public init(ggufMetadata meta: [String: GGUFValue], path: String) throws {
        guard let tokens = meta["tokenizer.ggml.tokens"]?.stringArray else {
            throw TokenizerError.invalidTokenizerFile(path: path, reason: "no tokenizer.ggml.tokens string array")
        }
        guard let merges = meta["tokenizer.ggml.merges"]?.stringArray else {
            throw TokenizerError.invalidTokenizerFile(path: path, reason: "no tokenizer.ggml.merges string array")
        }
        let types = meta["tokenizer.ggml.token_type"]?.arrayValue?.map { Int32(truncatingIfNeeded: $0.intValue ?? 1) }
        let pre = meta["tokenizer.ggml.pre"]?.stringValue ?? "gpt2"
        try self.init(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: try PreTokenizer(named: pre),
                      bosTokenId: meta["tokenizer.ggml.bos_token_id"]?.intValue,
                      eosTokenId: meta["tokenizer.ggml.eos_token_id"]?.intValue,
                      addBos: meta["tokenizer.ggml.add_bos_token"]?.boolValue ?? false)
    }

    /// The tokenizer of a loaded model (GGUF files carry it in their metadata).
    /// - Throws: `TokenizerError.invalidTokenizerFile` for models without an embedded tokenizer.
    public static func of(_ model: ModelDescription) throws -> Tokenizer {
        guard let gguf = model.gguf else {
            throw TokenizerError.invalidTokenizerFile(path: model.path,
                reason: "only GGUF models carry a tokenizer this tool reads (tokenizer.json is not supported yet)")
        }
        return try Tokenizer(ggufMetadata: gguf.metadata, path: model.path)
    }
}
