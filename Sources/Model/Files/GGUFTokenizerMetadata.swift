import Foundation
import IO

/// The `tokenizer.*` keys of a Hugging Face folder's byte-level BPE tokenizer, as llama.cpp's
/// converter writes them (`LlamaModel.set_vocab` -> `_set_vocab_gpt2`: `get_vocab_base`, then
/// gguf-py's `SpecialVocab(load_merges=True)`), in its order:
///
/// `tokenizer.ggml.add_space_prefix` (tokenizer_config's `add_prefix_space`, when given),
/// `tokenizer.ggml.model` = `gpt2`, `tokenizer.ggml.pre`, `tokenizer.ggml.tokens` (one per id up to
/// config.json's `vocab_size`; ids without a token become `[PAD<id>]`), `tokenizer.ggml.token_type`
/// (int32: 1 normal, 3 control for a special added token or one that looks special such as
/// `<|...|>`, 4 user-defined for another added token, 5 for the padding ids), then the special
/// vocabulary (`GGUFSpecialVocabulary`), and `add_bos_token` = false for a vocabulary of 49,152
/// (the converter's rule for Granite-sized vocabularies, which SmolLM2 shares).
///
/// Where this differs from the converter: `tokenizer.ggml.pre` is the name of the pre-tokenizer the
/// project recognizes in tokenizer.json (`PreTokenizer`: gpt2, smollm, llama-bpe, qwen2) rather
/// than the converter's hash of the token ids of a test text, which names the same pre-tokenizer
/// for the models both know; added tokens that are not `normalized` are kept as written, where the
/// converter passes them through `transformers`' encode and decode (which returns them unchanged
/// for the tokenizers this project reads); and a folder with a SentencePiece `tokenizer.model`,
/// which the converter would write as a `llama` tokenizer, is refused.
enum GGUFTokenizerMetadata {
    /// Appends the tokenizer keys of `folder` to `metadata`.
    /// - Throws: `TokenizerError.invalidTokenizerFile` / `.unsupportedPreTokenizer` naming the file.
    static func add(folder: String, config: HuggingFaceConfig, to metadata: inout GGUFMetadata) throws {
        let dir = URL(fileURLWithPath: folder)
        let sentencePiece = dir.appendingPathComponent("tokenizer.model").path
        if FileManager.default.fileExists(atPath: sentencePiece) {
            throw TokenizerError.invalidTokenizerFile(path: sentencePiece, reason:
                "a SentencePiece model, which llama.cpp converts as tokenizer 'llama'; only byte-level BPE (tokenizer.json) is built")
        }
        let tokenizerPath = dir.appendingPathComponent("tokenizer.json").path
        guard let tokenizer = try readObject(tokenizerPath) else {
            throw TokenizerError.invalidTokenizerFile(path: tokenizerPath, reason: "missing; a byte-level BPE tokenizer.json is needed")
        }
        let tokenizerConfig = try readObject(dir.appendingPathComponent("tokenizer_config.json").path)
        if let prefix = JSONScalar.bool(tokenizerConfig?["add_prefix_space"]) { metadata["tokenizer.ggml.add_space_prefix"] = .bool(prefix) }
        let vocabSize = JSONScalar.int(config.values["vocab_size"])
        let vocabulary = try ByteLevelVocabulary(tokenizer: tokenizer, path: tokenizerPath, vocabSize: vocabSize)
        metadata["tokenizer.ggml.model"] = .string("gpt2")
        metadata["tokenizer.ggml.pre"] = .string(vocabulary.pre)
        metadata["tokenizer.ggml.tokens"] = .array(vocabulary.tokens.map { .string($0) })
        metadata["tokenizer.ggml.token_type"] = .array(vocabulary.types.map { .int32($0) })
        var special = GGUFSpecialVocabulary(folder: dir, tokenizer: tokenizer, tokenizerPath: tokenizerPath,
                                            tokenizerConfig: tokenizerConfig, config: config.values)
        try special.load()
        try special.add(to: &metadata)
        if vocabSize == 49_152 { metadata["tokenizer.ggml.add_bos_token"] = .bool(false) }
    }

    /// The JSON object in `path`, or nil when there is no such file.
    static func readObject(_ path: String) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try InputFile.read(URL(fileURLWithPath: path)) { TokenizerError.invalidTokenizerFile(path: path, reason: "cannot read (\($0))") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.invalidTokenizerFile(path: path, reason: "not a JSON object")
        }
        return object
    }
}

/// Token spellings and types by id (`get_vocab_base` of llama.cpp's converter).
struct ByteLevelVocabulary {
    /// `tokenizer.ggml.pre`.
    let pre: String
    let tokens: [String]
    let types: [Int32]

    init(tokenizer: [String: Any], path: String, vocabSize: Int?) throws {
        func invalid(_ reason: String) -> TokenizerError { .invalidTokenizerFile(path: path, reason: reason) }
        guard let model = tokenizer["model"] as? [String: Any] else { throw invalid("no 'model' object") }
        let type = model["type"] as? String ?? "BPE"
        guard type == "BPE" else { throw invalid("model.type is '\(type)', expected 'BPE' (byte-level)") }
        pre = try PreTokenizer(huggingFace: tokenizer["pre_tokenizer"], source: path).rawValue
        guard let vocab = model["vocab"] as? [String: Any] else { throw invalid("no 'model.vocab' object") }
        var byId: [Int: String] = [:], addedByContent: [String: Int] = [:], special: [Int: Bool] = [:]
        func checkedId(_ value: Any?, _ what: String) throws -> Int {
            guard let id = JSONScalar.int(value), (0..<InputLimits.dimension).contains(id) else {
                throw invalid("\(what) has id \(value.map { "\($0)" } ?? "none"), expected 0..<\(InputLimits.dimension)")
            }
            return id
        }
        for (token, value) in vocab { byId[try checkedId(value, "model.vocab['\(token)']")] = token }
        for (index, entry) in ((tokenizer["added_tokens"] as? [[String: Any]]) ?? []).enumerated() {
            guard let content = entry["content"] as? String else { throw invalid("added_tokens[\(index)] has no 'content'") }
            let id = try checkedId(entry["id"], "added_tokens[\(index)]")
            byId[id] = content
            addedByContent[content] = id
            special[id] = JSONScalar.bool(entry["special"]) ?? false
        }
        let count = vocabSize ?? byId.count
        if let largest = byId.keys.max(), largest >= count {
            throw invalid("token id \(largest) is not below the vocabulary size \(count) (config.json vocab_size)")
        }
        var tokens = [String](), types = [Int32]()
        tokens.reserveCapacity(count)
        types.reserveCapacity(count)
        for id in 0..<count {
            guard let token = byId[id] else {
                tokens.append("[PAD\(id)]")
                types.append(Tokenizer.TokenType.unused.rawValue)
                continue
            }
            if addedByContent[token] == nil {
                tokens.append(token)
                types.append(Tokenizer.TokenType.normal.rawValue)
            } else if special[id] ?? false || Self.looksSpecial(token) {
                tokens.append(token)
                types.append(Tokenizer.TokenType.control.rawValue)
            } else {
                // User-defined spaces are stored pre-normalized ("▁" -> " "), as the converter does.
                tokens.append(token.replacingOccurrences(of: "\u{2581}", with: " "))
                types.append(Tokenizer.TokenType.userDefined.rawValue)
            }
        }
        self.tokens = tokens
        self.types = types
    }

    /// The converter's `does_token_look_special`: added tokens marked not special that are control
    /// tokens all the same (`<|...|>`, `<｜...｜>`, `<unused...>`, `<pad>`, `<mask>`, `<2mass>`, `[@BOS@]`).
    static func looksSpecial(_ token: String) -> Bool {
        ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].contains(token)
            || (token.hasPrefix("<|") && token.hasSuffix("|>")) || (token.hasPrefix("<｜") && token.hasSuffix("｜>"))
            || (token.hasPrefix("<unused") && token.hasSuffix(">"))
    }
}
