import Foundation

/// gguf-py's `SpecialVocab` (`gguf/vocab.py`, gguf 0.19.0) with merges loaded: the merges, the
/// special token ids, whether to add BOS/EOS/SEP, the chat template and the normalizer flags, read
/// from tokenizer.json, tokenizer_config.json, config.json and the chat template files, in the same
/// order of precedence, and written in the same key order:
///
/// - `tokenizer.ggml.merges`: `model.merges` as given ("a b"), or pairs joined by a space with
///   spaces inside a part written as U+0120 (`Ġ`);
/// - ids (uint32), each first found wins: the token named by tokenizer_config's `bos_token`,
///   `eos_token`, ... (a string or `{"content": ...}`) looked up among tokenizer.json's
///   `added_tokens`, then config.json's `bos_token_id`, ...; written for bos, eos, unk, sep
///   (`seperator_token_id`, llama.cpp's spelling), pad, mask, eot and eom (cls has no key);
/// - `add_bos_token` / `add_eos_token` / `add_sep_token` (bool): from the post-processor
///   (ByteLevel: false unless set; RobertaProcessing: true; TemplateProcessing: whether its single
///   template starts with BOS and ends with EOS, and whether its pair template puts SEP or EOS
///   between the sequences), then tokenizer_config's `add_bos_token`, ... where not set;
/// - `tokenizer.chat_template`: tokenizer_config's `chat_template` (a string, or a list of named
///   templates written as `tokenizer.chat_template.NAME` plus `tokenizer.chat_templates`), else
///   `chat_template.jinja`, else `chat_template.json`;
/// - `tokenizer.ggml.normalizer.lowercase` / `.strip_accents` from tokenizer.json's normalizer.
///
/// Without a tokenizer_config.json (or an empty one) only the merges, the post-processor flags,
/// config.json's ids and the normalizer flags are read, as in gguf-py.
struct GGUFSpecialVocabulary {
    let folder: URL
    let tokenizer: [String: Any]
    let tokenizerPath: String
    /// tokenizer_config.json; gguf-py fills in tokens it infers, so this copy changes as it loads.
    var tokenizerConfig: [String: Any]?
    let config: [String: Any]

    var types = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"]
    var merges: [String] = []
    var ids: [(type: String, id: Int)] = []
    var add: [(type: String, value: Bool)] = []
    var chatTemplate: Any?
    var lowercase: Bool?, stripAccents: Bool?

    init(folder: URL, tokenizer: [String: Any], tokenizerPath: String, tokenizerConfig: [String: Any]?, config: [String: Any]) {
        self.folder = folder
        self.tokenizer = tokenizer
        self.tokenizerPath = tokenizerPath
        self.tokenizerConfig = tokenizerConfig
        self.config = config
    }

    /// Python truthiness of a JSON value (None, "", {}, [], false and 0 are false).
    static func truthy(_ v: Any?) -> Bool {
        switch v {
        case nil, is NSNull: return false
        case let s as String: return !s.isEmpty
        case let d as [String: Any]: return !d.isEmpty
        case let a as [Any]: return !a.isEmpty
        case let n as NSNumber: return n.doubleValue != 0
        default: return true
        }
    }

    /// `a == b` for JSON values where only strings matter (a dict never equals a string).
    static func same(_ a: Any?, _ b: Any?) -> Bool {
        guard let a = a as? String, let b = b as? String else { return false }
        return a == b
    }

    var configIsTruthy: Bool { Self.truthy(tokenizerConfig) }

    mutating func setAdd(_ type: String, _ value: Bool, onlyIfUnset: Bool = false) {
        if let i = add.firstIndex(where: { $0.type == type }) {
            if !onlyIfUnset { add[i].value = value }
        } else {
            add.append((type, value))
        }
    }

    mutating func setId(_ type: String, _ value: Any?) throws {
        guard let id = JSONScalar.int(value) else { return }
        guard id >= 0 else {
            throw TokenizerError.invalidTokenizerFile(path: folder.path, reason: "special token \(type) has id \(id), expected 0 or more")
        }
        if !ids.contains(where: { $0.type == type }) { ids.append((type, id)) }
    }

    /// Reads everything, in gguf-py's order.
    mutating func load() throws {
        try loadMerges()
        if let normalizer = tokenizer["normalizer"] as? [String: Any] { parseNormalizer(normalizer) }
        try loadFromTokenizerFiles()
        for type in types {
            var value = config["\(type)_token_id"]
            if value == nil || value is NSNull { value = (config["text_config"] as? [String: Any])?["\(type)_token_id"] }
            try setId(type, value)
        }
    }

    private mutating func loadMerges() throws {
        guard let list = (tokenizer["model"] as? [String: Any])?["merges"] as? [Any], !list.isEmpty else { return }
        if let lines = list as? [String] {
            merges = lines
        } else if let pairs = list as? [[String]], pairs.allSatisfy({ $0.count == 2 }) {
            merges = pairs.map { pair in pair.map { $0.replacingOccurrences(of: " ", with: "\u{0120}") }.joined(separator: " ") }
        } else {
            throw TokenizerError.invalidTokenizerFile(path: tokenizerPath, reason: "model.merges are neither \"a b\" strings nor [\"a\", \"b\"] pairs")
        }
    }

    private mutating func parseNormalizer(_ normalizer: [String: Any]) {
        switch normalizer["type"] as? String {
        case "Lowercase": lowercase = true
        case "StripAccents": stripAccents = true
        case "BertNormalizer":
            if normalizer.keys.contains("lowercase") { lowercase = JSONScalar.bool(normalizer["lowercase"]) }
            if normalizer.keys.contains("strip_accents") { stripAccents = JSONScalar.bool(normalizer["strip_accents"]) }
        case "Sequence":
            for n in (normalizer["normalizers"] as? [[String: Any]]) ?? [] { parseNormalizer(n) }
        default: break
        }
    }
}
