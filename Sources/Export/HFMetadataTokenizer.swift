import Foundation
import Model
import IO

/// Hugging Face `tokenizer.json` and `tokenizer_config.json` written from a GGUF model's
/// `tokenizer.ggml.*` metadata (byte-level BPE only: `tokenizer.ggml.model = gpt2`).
///
/// The BPE model keeps GGUF's vocabulary (token spelling -> id) and merges in rank order; control
/// (type 3) and user-defined (type 4) tokens become `added_tokens` (control ones `special`). The
/// pre-tokenizer follows `tokenizer.ggml.pre`: `smollm` is Digits(individual) then ByteLevel; `gpt2`
/// is ByteLevel; `llama-bpe` and `qwen2` are a Split on their regex then ByteLevel without regex.
enum HFMetadataTokenizer {
    /// The Llama 3 split regex (as Hugging Face writes it).
    static let llamaBPERegex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// The Qwen2 split regex: one digit per piece.
    static let qwen2Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    static func byteLevel(useRegex: Bool) -> [String: Any] {
        ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": useRegex]
    }

    static func preTokenizer(_ pre: String, model: String) throws -> [String: Any] {
        func split(_ regex: String) -> [String: Any] {
            ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": regex], "behavior": "Isolated", "invert": false] as [String: Any],
                byteLevel(useRegex: false)]]
        }
        switch try PreTokenizer(named: pre) {
        case .gpt2: return byteLevel(useRegex: true)
        case .smollm:
            return ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true] as [String: Any], byteLevel(useRegex: true)]]
        case .llamaBPE: return split(llamaBPERegex)
        case .qwen2: return split(qwen2Regex)
        }
    }

    /// Writes both files into `folder` from `model`'s GGUF metadata.
    /// - Throws: `QuantizedCheckpointError.badTokenizerMetadata` naming the key that is missing or
    ///   not a byte-level BPE tokenizer.
    static func write(_ model: ModelDescription, to folder: URL) throws {
        guard let gguf = model.gguf else { return }
        let meta = gguf.metadata
        func fail(_ key: String, _ why: String) -> QuantizedCheckpointError {
            .badTokenizerMetadata(model: model.path, key: key, reason: why)
        }
        guard meta["tokenizer.ggml.model"]?.stringValue == "gpt2" else {
            throw fail("tokenizer.ggml.model", "is \(meta["tokenizer.ggml.model"]?.stringValue ?? "absent"), expected gpt2 (byte-level BPE)")
        }
        guard let tokens = meta["tokenizer.ggml.tokens"]?.stringArray else { throw fail("tokenizer.ggml.tokens", "is absent or not a string array") }
        guard let merges = meta["tokenizer.ggml.merges"]?.stringArray else { throw fail("tokenizer.ggml.merges", "is absent or not a string array") }
        let types = meta["tokenizer.ggml.token_type"]?.arrayValue?.map { $0.intValue ?? 1 } ?? []
        let pre = meta["tokenizer.ggml.pre"]?.stringValue ?? "gpt2"
        var vocab: [String: Int] = [:]
        for (id, t) in tokens.enumerated() where vocab[t] == nil { vocab[t] = id }
        var added: [[String: Any]] = []
        for (id, type) in types.enumerated() where (type == 3 || type == 4) && id < tokens.count {
            added.append(["id": id, "content": tokens[id], "single_word": false, "lstrip": false, "rstrip": false,
                          "normalized": false, "special": type == 3])
        }
        let preTokenizer: [String: Any]
        do { preTokenizer = try Self.preTokenizer(pre, model: model.path) } catch {
            throw fail("tokenizer.ggml.pre", "names an unknown pre-tokenizer '\(pre)'")
        }
        let bpe: [String: Any] = [
            "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
            "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false,
            "ignore_merges": pre == "llama-bpe" || pre == "llama3", "vocab": vocab, "merges": merges,
        ]
        let tokenizer: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": NSNull(), "pre_tokenizer": preTokenizer,
            "post_processor": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": bpe,
        ]
        let data = try JSONSerialization.data(withJSONObject: tokenizer, options: [.sortedKeys])
        let url = folder.appendingPathComponent("tokenizer.json")
        try AtomicFile.write(data, to: url) { QuantizedCheckpointError.writeFailed(path: url.path, reason: $0) }
        try writeConfig(meta: meta, tokens: tokens, model: model, to: folder)
    }

    static func writeConfig(meta: [String: GGUFValue], tokens: [String], model: ModelDescription, to folder: URL) throws {
        func token(_ key: String) -> Any {
            guard let id = meta[key]?.intValue, tokens.indices.contains(id) else { return NSNull() }
            return tokens[id]
        }
        var config: [String: Any] = [
            "tokenizer_class": "GPT2Tokenizer", "add_prefix_space": false, "clean_up_tokenization_spaces": false,
            "add_bos_token": meta["tokenizer.ggml.add_bos_token"]?.boolValue ?? false,
            "add_eos_token": meta["tokenizer.ggml.add_eos_token"]?.boolValue ?? false,
            "bos_token": token("tokenizer.ggml.bos_token_id"), "eos_token": token("tokenizer.ggml.eos_token_id"),
            "unk_token": token("tokenizer.ggml.unknown_token_id"), "pad_token": token("tokenizer.ggml.padding_token_id"),
            "model_max_length": model.config.maxPositionEmbeddings,
        ]
        if let template = meta["tokenizer.chat_template"]?.stringValue { config["chat_template"] = template }
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        let url = folder.appendingPathComponent("tokenizer_config.json")
        try AtomicFile.write(data, to: url) { QuantizedCheckpointError.writeFailed(path: url.path, reason: $0) }
    }
}
