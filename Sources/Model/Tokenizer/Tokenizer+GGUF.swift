import Foundation

extension Tokenizer {
    /// Builds a tokenizer from GGUF metadata: `tokenizer.ggml.model` must be `gpt2` (byte-level
    /// BPE); reads `tokens`, `merges`, `token_type` (optional), `pre` (default `gpt2`, llama.cpp's
    /// fallback is a different regex, so a missing name is read as GPT-2's), `bos_token_id`,
    /// `eos_token_id` and `add_bos_token` (default false).
    /// - Parameter source: the file path, named in errors.
    /// - Throws: `TokenizerError.missingMetadata` / `.metadataTypeMismatch` naming the key,
    ///   `.unknownPreTokenizer`, and the vocabulary errors of the core initializer.
    public init(ggufMetadata metadata: [String: GGUFValue], source: String) throws {
        func value(_ key: String) throws -> GGUFValue {
            guard let value = metadata[key] else { throw TokenizerError.missingMetadata(key: key, source: source) }
            return value
        }
        func typeName(_ value: GGUFValue) -> String {
            String(describing: value).prefix { $0 != "(" }.description
        }
        let model = try value("tokenizer.ggml.model")
        guard model.stringValue == "gpt2" else {
            throw TokenizerError.metadataTypeMismatch(key: "tokenizer.ggml.model", expected: "the string 'gpt2' (byte-level BPE)",
                                                      actual: model.stringValue.map { "'\($0)'" } ?? typeName(model))
        }
        let strings = { (key: String) throws -> [String] in
            let raw = try value(key)
            guard let list = raw.stringArray else {
                throw TokenizerError.metadataTypeMismatch(key: key, expected: "array of strings", actual: typeName(raw))
            }
            return list
        }
        let tokens = try strings("tokenizer.ggml.tokens")
        let merges = try strings("tokenizer.ggml.merges")
        var types: [Int32]?
        if let raw = metadata["tokenizer.ggml.token_type"] {
            let list = raw.arrayValue?.compactMap { $0.intValue.flatMap { Int32(exactly: $0) } }
            guard let list, list.count == raw.arrayValue?.count else {
                throw TokenizerError.metadataTypeMismatch(key: "tokenizer.ggml.token_type", expected: "array of int32",
                                                          actual: typeName(raw))
            }
            types = list
        }
        let pre = metadata["tokenizer.ggml.pre"]?.stringValue ?? PreTokenizer.gpt2.rawValue
        try self.init(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: try PreTokenizer(named: pre),
                      bosTokenId: metadata["tokenizer.ggml.bos_token_id"]?.intValue,
                      eosTokenId: metadata["tokenizer.ggml.eos_token_id"]?.intValue,
                      addBos: metadata["tokenizer.ggml.add_bos_token"]?.boolValue ?? false)
    }

    /// The tokenizer of an opened model: GGUF metadata for a GGUF file, `tokenizer.json` in the
    /// folder for a Hugging Face checkpoint.
    /// - Throws: `TokenizerError` naming the file when the tokenizer is missing or unsupported.
    public init(model: ModelDescription) throws {
        if let gguf = model.gguf {
            try self.init(ggufMetadata: gguf.metadata, source: model.path)
        } else {
            let url = URL(fileURLWithPath: model.path).appendingPathComponent("tokenizer.json")
            try self.init(tokenizerJSON: url)
        }
    }
}
