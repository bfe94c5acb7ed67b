import Foundation
import IO

extension GGUFSpecialVocabulary {
    /// gguf-py's `_try_load_from_tokenizer_json`: the post-processor's flags, then (with a
    /// tokenizer_config) the chat template, the add flags and the special token ids it names.
    mutating func loadFromTokenizerFiles() throws {
        var tokens = Tokens(bos: tokenizerConfig?["bos_token"], cls: tokenizerConfig?["cls_token"],
                            eos: tokenizerConfig?["eos_token"], sep: tokenizerConfig?["sep_token"])
        if !Self.truthy(tokens.bos), Self.truthy(tokens.cls), configIsTruthy {
            tokens.bos = tokens.cls
            tokenizerConfig?["bos_token"] = tokens.cls
        }
        if !Self.truthy(tokens.eos), Self.truthy(tokens.sep), configIsTruthy {
            tokens.eos = tokens.sep
            tokenizerConfig?["eos_token"] = tokens.sep
        }
        if let post = tokenizer["post_processor"] as? [String: Any], !post.isEmpty {
            for processor in (post["processors"] as? [[String: Any]]) ?? [post] {
                switch processor["type"] as? String {
                case "ByteLevel":
                    setAdd("bos", false, onlyIfUnset: true)
                    setAdd("eos", false, onlyIfUnset: true)
                case "RobertaProcessing": roberta(processor, &tokens)
                case "TemplateProcessing": template(processor, &tokens)
                default: break
                }
            }
        }
        guard configIsTruthy, let tokenizerConfig else { return }
        chatTemplate = tokenizerConfig.keys.contains("chat_template") ? tokenizerConfig["chat_template"] : try alternativeChatTemplate()
        let added = (tokenizer["added_tokens"] as? [[String: Any]]) ?? []
        for type in types {
            if let flag = JSONScalar.bool(tokenizerConfig["add_\(type)_token"]) { setAdd(type, flag, onlyIfUnset: true) }
            let entry = tokenizerConfig["\(type)_token"]
            guard let content = (entry as? String) ?? ((entry as? [String: Any])?["content"] as? String) else { continue }
            try setId(type, added.first { ($0["content"] as? String) == content }?["id"])
        }
    }

    /// The special tokens gguf-py tracks while reading the post-processor.
    struct Tokens { var bos, cls, eos, sep: Any? }

    private mutating func roberta(_ processor: [String: Any], _ tokens: inout Tokens) {
        for type in ["bos", "eos", "sep"] { setAdd(type, true) }
        if !Self.truthy(tokens.cls), configIsTruthy {
            tokens.cls = (processor["cls"] as? [Any])?.first ?? tokens.bos
            tokenizerConfig?["cls_token"] = tokens.cls
        }
        if !Self.truthy(tokens.sep), configIsTruthy {
            tokens.sep = (processor["sep"] as? [Any])?.first ?? tokens.eos
            tokenizerConfig?["sep_token"] = tokens.sep
        }
    }

    /// A `TemplateProcessing` post-processor: a single template `[BOS] A [EOS]` sets add_bos /
    /// add_eos (an unknown trailing token becomes EOS, the old EOS kept as EOT or EOM); a pair
    /// template `... A X [Y] B ...` sets add_sep when X or Y is SEP or EOS.
    private mutating func template(_ processor: [String: Any], _ tokens: inout Tokens) {
        let single = (processor["single"] as? [[String: Any]]) ?? []
        var pair = (processor["pair"] as? [[String: Any]]) ?? []
        func specialID(_ piece: [String: Any]?) -> Any? { (piece?["SpecialToken"] as? [String: Any])?["id"] }
        var first: Any?, last: Any?
        if single.count > 1 {
            first = specialID(single.first)
            if Self.truthy(first) {
                if !configIsTruthy {
                    tokens.bos = first
                } else if !Self.same(first, tokens.bos) && !Self.same(first, tokens.cls) {
                    if !Self.truthy(tokens.bos) { tokens.bos = first; tokenizerConfig?["bos_token"] = first }
                    if !Self.truthy(tokens.cls) { tokens.cls = first; tokenizerConfig?["cls_token"] = first }
                }
                setAdd("bos", Self.same(first, tokens.bos) || Self.same(first, tokens.cls))
            }
            last = specialID(single.last)
            if Self.truthy(last) {
                if !configIsTruthy {
                    tokens.eos = last
                } else if !Self.same(last, tokens.eos) {
                    for extra in ["eot", "eom"] where !types.contains(extra) {
                        types.append(extra)
                        tokenizerConfig?["\(extra)_token"] = tokens.eos
                        break
                    }
                    tokens.eos = last
                    tokenizerConfig?["eos_token"] = last
                }
                setAdd("eos", Self.same(last, tokens.eos))
            }
        }
        guard !pair.isEmpty else { return }
        let start = Self.truthy(first) && Self.same(specialID(pair.first), first) ? 1 : 0
        let stop = Self.truthy(last) && Self.same(specialID(pair.last), last) ? pair.count - 1 : pair.count
        pair = start < stop ? Array(pair[start..<stop]) : []
        func sequenceID(_ piece: [String: Any]?) -> String? { (piece?["Sequence"] as? [String: Any])?["id"] as? String }
        guard !pair.isEmpty, sequenceID(pair.first) == "A", sequenceID(pair.last) == "B", pair.count > 2 else { return }
        let middle = Array(pair[1..<(pair.count - 1)])
        var addSep = false
        let firstEntry = specialID(middle.first)
        if Self.truthy(firstEntry), Self.same(firstEntry, tokens.sep) || Self.same(firstEntry, tokens.eos), !Self.truthy(last) {
            addSep = true
        }
        if middle.count == 2 {
            let second = specialID(middle[1])
            if Self.truthy(second), Self.same(second, tokens.sep) || Self.same(second, tokens.eos) { addSep = true }
        }
        setAdd("sep", addSep)
        if addSep, !Self.truthy(tokens.sep), configIsTruthy { tokenizerConfig?["sep_token"] = tokens.eos }
    }

    /// `chat_template.jinja` (with `additional_chat_templates/*.jinja` as named templates, in name
    /// order), else `chat_template.json`'s `chat_template`, else nil.
    private func alternativeChatTemplate() throws -> Any? {
        func text(_ url: URL) throws -> String {
            let data = try InputFile.read(url) { TokenizerError.invalidTokenizerFile(path: url.path, reason: "cannot read (\($0))") }
            return String(decoding: data, as: UTF8.self)
        }
        let jinja = folder.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            let template = try text(jinja)
            let extra = folder.appendingPathComponent("additional_chat_templates")
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: extra.path)) ?? []).filter { $0.hasSuffix(".jinja") }.sorted()
            guard !names.isEmpty else { return template }
            return [["name": "default", "template": template]] + (try names.map { name -> [String: Any] in
                ["name": String(name.dropLast(".jinja".count)), "template": try text(extra.appendingPathComponent(name))]
            })
        }
        let json = folder.appendingPathComponent("chat_template.json")
        return try GGUFTokenizerMetadata.readObject(json.path)?["chat_template"]
    }

    /// gguf-py's key for each special token type (none for cls) and add flag.
    static let idKeys = ["bos": "tokenizer.ggml.bos_token_id", "eos": "tokenizer.ggml.eos_token_id",
                         "unk": "tokenizer.ggml.unknown_token_id", "sep": "tokenizer.ggml.seperator_token_id",
                         "pad": "tokenizer.ggml.padding_token_id", "mask": "tokenizer.ggml.mask_token_id",
                         "eot": "tokenizer.ggml.eot_token_id", "eom": "tokenizer.ggml.eom_token_id"]
    static let addKeys = ["bos": "tokenizer.ggml.add_bos_token", "eos": "tokenizer.ggml.add_eos_token",
                          "sep": "tokenizer.ggml.add_sep_token"]

    /// Writes what was loaded, in `SpecialVocab.add_to_gguf`'s order.
    func add(to m: inout GGUFMetadata) throws {
        if !merges.isEmpty { m["tokenizer.ggml.merges"] = .array(merges.map { .string($0) }) }
        for (type, id) in ids {
            guard let key = Self.idKeys[type] else { continue }
            guard let value = UInt32(exactly: id) else {
                throw TokenizerError.invalidTokenizerFile(path: folder.path, reason: "special token \(type) has id \(id), above \(UInt32.max)")
            }
            m[key] = .uint32(value)
        }
        for (type, value) in add { if let key = Self.addKeys[type] { m[key] = .bool(value) } }
        if let template = chatTemplate as? String, !template.isEmpty {
            m["tokenizer.chat_template"] = .string(template)
        } else if let choices = chatTemplate as? [Any] {
            addNamedTemplates(choices.compactMap { $0 as? [String: Any] }, to: &m)
        }
        if let lowercase { m["tokenizer.ggml.normalizer.lowercase"] = .bool(lowercase) }
        if let stripAccents { m["tokenizer.ggml.normalizer.strip_accents"] = .bool(stripAccents) }
    }

    /// gguf-py's `add_chat_template` of a list: `tokenizer.chat_template.NAME` per named template
    /// (name characters other than ASCII letters and digits become `_`), `tokenizer.chat_templates`
    /// (the names, in order of appearance), and the one named `default` as `tokenizer.chat_template`.
    private func addNamedTemplates(_ choices: [[String: Any]], to m: inout GGUFMetadata) {
        var names: [String] = [], fallback: String?
        for choice in choices {
            let name = String((choice["name"] as? String ?? "").map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
            guard !name.isEmpty, let template = choice["template"] as? String else { continue }
            if name == "default" {
                fallback = template
            } else {
                if !names.contains(name) { names.append(name) }
                if !template.isEmpty { m["tokenizer.chat_template.\(name)"] = .string(template) }
            }
        }
        if !names.isEmpty { m["tokenizer.chat_templates"] = .array(names.map { .string($0) }) }
        if let fallback, !fallback.isEmpty { m["tokenizer.chat_template"] = .string(fallback) }
    }
}
