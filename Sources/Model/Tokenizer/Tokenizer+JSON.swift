import Foundation
import IO

extension Tokenizer {
    /// Builds a tokenizer from a Hugging Face `tokenizer.json` (a byte-level `BPE` model).
    ///
    /// Reads `model.vocab`, `model.merges` ("a b" strings or ["a", "b"] pairs, in rank order),
    /// `model.ignore_merges`, `added_tokens` (matched whole in text) and `pre_tokenizer`
    /// (see `PreTokenizer.init(huggingFace:source:)`). BOS/EOS come from a sibling
    /// `tokenizer_config.json` (`bos_token`, `eos_token`, `add_bos_token`) when present, else from
    /// a `TemplateProcessing` post-processor that starts with a special token.
    /// - Throws: `TokenizerError.invalidTokenizerFile` naming the file and the missing or malformed
    ///   field, `.unsupportedPreTokenizer`, and the vocabulary errors of the core initializer.
    public init(tokenizerJSON url: URL) throws {
        let data = try Self.read(url)
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.fileExists(atPath: configURL.path)
            ? (data: try Self.read(configURL), path: configURL.path) : nil
        try self.init(tokenizerJSON: data, path: url.path, config: config)
    }

    /// Builds a tokenizer from the contents of a `tokenizer.json` (read from `path`, named in errors)
    /// and of its `tokenizer_config.json` when there is one, as `init(tokenizerJSON:)` does from the files.
    public init(tokenizerJSON data: Data, path: String, config: (data: Data, path: String)? = nil) throws {
        let root = try Self.jsonObject(data, path: path)
        guard let model = root["model"] as? [String: Any] else { throw Self.invalid(path, "no 'model' object") }
        if let type = model["type"] as? String, type != "BPE" {
            throw Self.invalid(path, "model.type is '\(type)', expected 'BPE'")
        }
        guard let vocab = model["vocab"] as? [String: Any] else { throw Self.invalid(path, "no 'model.vocab' object") }
        let added = try Self.addedTokens(root["added_tokens"], path: path)
        let tokens = try Self.tokenTable(vocab: vocab, added: added, path: path)
        var special = [Bool](repeating: false, count: tokens.count)
        for (_, id) in added { special[id] = true }
        let merges = try Self.mergePairs(model["merges"], path: path)
        let preTokenizer = try PreTokenizer(huggingFace: root["pre_tokenizer"], source: path)
        let settings = try config.map { try Self.jsonObject($0.data, path: $0.path) } ?? [:]
        let specials = Self.specialTokenSettings(root: root, config: settings, tokens: tokens)
        try self.init(tokens: tokens, mergePairs: merges, isSpecial: special, preTokenizer: preTokenizer,
                      bosTokenId: specials.bos, eosTokenId: specials.eos, addBos: specials.addBos,
                      ignoreMerges: (model["ignore_merges"] as? Bool) ?? preTokenizer.ignoresMergesByDefault,
                      normalization: try Self.normalization(root["normalizer"], path: path))
    }

    /// `normalizer`: absent, null or an empty `Sequence` -> none; `NFC` -> nfc; anything else
    /// would change ids silently, so it is an error.
    private static func normalization(_ value: Any?, path: String) throws -> TextNormalization {
        guard let object = value as? [String: Any] else { return .none }
        let type = object["type"] as? String ?? "?"
        if type == "NFC" { return .nfc }
        if type == "Sequence", (object["normalizers"] as? [Any])?.isEmpty == true { return .none }
        throw TokenizerError.unsupportedNormalizer(source: path, type: type)
    }

    private static func invalid(_ path: String, _ reason: String) -> TokenizerError {
        .invalidTokenizerFile(path: path, reason: reason)
    }

    private static func read(_ url: URL) throws -> Data {
        try InputFile.read(url) { invalid(url.path, "cannot read (\($0))") }
    }

    private static func jsonObject(_ data: Data, path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw invalid(path, "not a JSON object")
        }
        return object
    }

    private static func addedTokens(_ value: Any?, path: String) throws -> [(String, Int)] {
        guard let list = value as? [[String: Any]] else { return [] }
        return try list.enumerated().map { index, entry in
            guard let content = entry["content"] as? String, let id = entry["id"] as? Int else {
                throw invalid(path, "added_tokens[\(index)] lacks 'content' or 'id'")
            }
            guard (0..<InputLimits.dimension).contains(id) else {
                throw invalid(path, "added_tokens[\(index)].id is \(id), expected 0..<\(InputLimits.dimension)")
            }
            return (content, id)
        }
    }

    /// Tokens by id from `vocab` and `added_tokens`; every id from 0 to the largest must be present.
    private static func tokenTable(vocab: [String: Any], added: [(String, Int)], path: String) throws -> [String] {
        var byId: [Int: String] = [:]
        for (token, value) in vocab {
            guard let id = value as? Int, id >= 0 else { throw invalid(path, "model.vocab['\(token)'] is not an id") }
            guard id < InputLimits.dimension else {
                throw invalid(path, "model.vocab['\(token)'] is \(id), expected 0..<\(InputLimits.dimension)")
            }
            byId[id] = token
        }
        for (content, id) in added { byId[id] = content }
        let count = (byId.keys.max() ?? -1) + 1
        // Ids must run 0..<count without gaps: a largest id beyond the number of tokens leaves one out.
        guard count <= byId.count else {
            let missing = (0..<count).first { byId[$0] == nil } ?? 0
            throw invalid(path, "no token has id \(missing) (ids run 0..<\(count))")
        }
        return try (0..<count).map { id in
            guard let token = byId[id] else { throw invalid(path, "no token has id \(id) (ids run 0..<\(count))") }
            return token
        }
    }

    private static func mergePairs(_ value: Any?, path: String) throws -> [(String, String)] {
        guard let list = value as? [Any] else { throw invalid(path, "no 'model.merges' array") }
        return try list.enumerated().map { index, entry in
            if let line = entry as? String { return try splitMerge(line, index: index) }
            if let pair = entry as? [String], pair.count == 2 { return (pair[0], pair[1]) }
            throw invalid(path, "model.merges[\(index)] is neither \"a b\" nor [\"a\", \"b\"]")
        }
    }

    /// BOS/EOS and whether to add BOS, from `tokenizer_config.json`'s object `config` (empty when
    /// there is none) or the post-processor's template.
    private static func specialTokenSettings(root: [String: Any], config: [String: Any],
                                             tokens: [String]) -> (bos: Int?, eos: Int?, addBos: Bool) {
        let idOf = Dictionary(tokens.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        func tokenId(_ key: String) -> Int? {
            let value = config[key]
            let text = (value as? String) ?? ((value as? [String: Any])?["content"] as? String)
            return text.flatMap { idOf[$0] }
        }
        let templateBos = templateLeadingToken(root["post_processor"]).flatMap { idOf[$0] }
        let bos = tokenId("bos_token") ?? templateBos
        let addBos = (config["add_bos_token"] as? Bool) ?? (templateBos != nil)
        return (bos, tokenId("eos_token"), addBos)
    }

    /// The special token a `TemplateProcessing` post-processor (possibly inside a `Sequence`)
    /// puts before a single sequence, e.g. Llama 3's `<|begin_of_text|>`.
    private static func templateLeadingToken(_ value: Any?) -> String? {
        guard let processor = value as? [String: Any] else { return nil }
        if let nested = processor["processors"] as? [Any] {
            return nested.lazy.compactMap { templateLeadingToken($0) }.first
        }
        guard processor["type"] as? String == "TemplateProcessing",
              let single = processor["single"] as? [[String: Any]],
              let first = single.first?["SpecialToken"] as? [String: Any] else { return nil }
        return first["id"] as? String
    }
}

extension PreTokenizer {
    /// Recognizes a Hugging Face `pre_tokenizer` configuration:
    /// `ByteLevel` (use_regex true) -> `gpt2`; `Sequence[Digits(individual_digits), ByteLevel]`
    /// -> `smollm`; `Sequence[Split(Regex), ByteLevel(use_regex false)]` with the Llama 3 or
    /// Qwen2 regex -> `llamaBPE` / `qwen2`.
    /// - Throws: `TokenizerError.unsupportedPreTokenizer` naming `source` and the configuration.
    init(huggingFace value: Any?, source: String) throws {
        let object = value as? [String: Any]
        let steps = (object?["type"] as? String == "Sequence")
            ? (object?["pretokenizers"] as? [[String: Any]] ?? []) : object.map { [$0] } ?? []
        let types = steps.map { $0["type"] as? String ?? "?" }
        let usesRegex = { (step: [String: Any]) in (step["use_regex"] as? Bool) ?? true }
        if steps.contains(where: { $0["type"] as? String == "ByteLevel" && $0["add_prefix_space"] as? Bool == true }) {
            throw TokenizerError.unsupportedPreTokenizer(source: source, description: "ByteLevel with add_prefix_space")
        }
        if types == ["ByteLevel"], usesRegex(steps[0]) {
            self = .gpt2
        } else if types == ["Digits", "ByteLevel"], steps[0]["individual_digits"] as? Bool == true, usesRegex(steps[1]) {
            self = .smollm
        } else if types == ["Split", "ByteLevel"], !usesRegex(steps[1]),
                  let pattern = (steps[0]["pattern"] as? [String: Any])?["Regex"] as? String,
                  let known = [PreTokenizer.llamaBPERegex: PreTokenizer.llamaBPE, PreTokenizer.qwen2Regex: .qwen2][pattern] {
            self = known
        } else {
            let description = types.isEmpty ? "(none)" : types.joined(separator: " + ")
            throw TokenizerError.unsupportedPreTokenizer(source: source, description: description)
        }
    }
}
