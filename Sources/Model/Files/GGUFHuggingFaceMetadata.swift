import Foundation
import IO

extension GGUFMetadata {
    /// The metadata llama.cpp's `convert_hf_to_gguf.py` writes for the Hugging Face folder `folder`
    /// (config.json, tokenizer.json and, when present, tokenizer_config.json; a Llama or Mistral
    /// model, written with llama.cpp's `llama` architecture), in its order:
    ///
    /// `general.architecture`, `general.type` ("model"), `general.name`, `general.size_label` (with
    /// `parameterCount`, rounded as gguf-py's `size_label`); the `llama.*` hyperparameters of
    /// `TextModel.set_gguf_parameters` (each from the first config key of the converter's list that
    /// is present: block count, context length, embedding and feed-forward lengths, head counts,
    /// `attention.causal` when `is_causal` is false, `rope.freq_base`, the norm epsilons, key and
    /// value lengths when `head_dim` is given; uint32 and float32), `general.file_type`,
    /// `llama.vocab_size`, `llama.rope.dimension_count`, `general.quantization_version`; then the
    /// tokenizer (`GGUFTokenizerMetadata`).
    ///
    /// Not written, unlike the converter: what it reads from a model card (README.md: author,
    /// license, languages, base models, ...), and RoPE scaling, which this project does not run (a
    /// config with a `rope_type` other than `default` is refused).
    /// - Parameters:
    ///   - name: `general.name`; the folder's name when nil, as the converter does without a card.
    ///   - parameterCount: the model's parameters, for `general.size_label` (omitted when nil).
    /// - Throws: `ModelFileError` naming config.json and the key; `TokenizerError` naming the
    ///   tokenizer file and what it lacks.
    public init(huggingFace folder: String, fileType: LlamaFileType, name: String? = nil, parameterCount: Int? = nil) throws {
        let configPath = (folder as NSString).appendingPathComponent("config.json")
        let config = try HuggingFaceConfig(path: configPath)
        self.init()
        self[GGUFKeys.architecture] = .string("llama")
        self[GGUFKeys.type] = .string("model")
        self[GGUFKeys.name] = .string(name ?? URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent)
        if let parameterCount { self[GGUFKeys.sizeLabel] = .string(Self.sizeLabel(parameterCount)) }
        try setLlamaHyperparameters(config)
        self[GGUFKeys.fileType] = .uint32(fileType.rawValue)
        self["llama.vocab_size"] = .uint32(try config.uint32("vocab_size"))
        var headDim = try config.optionalUInt32(["head_dim"])
        if headDim == nil { headDim = try config.uint32("hidden_size") / max(1, try config.uint32("num_attention_heads")) }
        self["llama.rope.dimension_count"] = .uint32(headDim ?? 0)
        self[GGUFKeys.quantizationVersion] = .uint32(GGUFKeys.ggmlQuantizationVersion)
        try GGUFTokenizerMetadata.add(folder: folder, config: config, to: &self)
    }

    private mutating func setLlamaHyperparameters(_ c: HuggingFaceConfig) throws {
        guard let blocks = try c.optionalUInt32(["n_layers", "num_hidden_layers", "n_layer", "num_layers"]) else {
            throw ModelFileError.missingMetadata(path: c.path, key: "num_hidden_layers")
        }
        self["llama.block_count"] = .uint32(blocks)
        let optional: [(String, [String])] = [
            ("llama.context_length", ["max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length",
                                      "model_max_length"]),
            ("llama.embedding_length", ["hidden_size", "n_embd", "dim"]),
            ("llama.feed_forward_length", ["prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size",
                                           "n_inner", "hidden_dim"]),
            ("llama.attention.head_count", ["num_attention_heads", "n_head", "n_heads"]),
            ("llama.attention.head_count_kv", ["num_key_value_heads", "n_kv_heads"]),
        ]
        for (key, names) in optional {
            if let v = try c.optionalUInt32(names) { self[key] = .uint32(v) }
        }
        if JSONScalar.bool(c.values["is_causal"]) == false { self["llama.attention.causal"] = .bool(false) }
        // A scaled RoPE was refused by `ModelConfig.validate` when the config was read.
        let rope = c.ropeParameters
        if let theta = try c.float(rope["rope_theta"], key: "rope_theta")
            ?? c.optionalFloat(["global_rope_theta", "rope_global_theta", "rope_theta_global", "rope_theta", "rotary_emb_base"]) {
            self["llama.rope.freq_base"] = .float32(theta)
        }
        if let eps = try c.optionalFloat(["rms_norm_eps", "norm_eps"]) { self["llama.attention.layer_norm_rms_epsilon"] = .float32(eps) }
        if let eps = try c.optionalFloat(["layer_norm_eps", "layer_norm_epsilon", "norm_epsilon"]) {
            self["llama.attention.layer_norm_epsilon"] = .float32(eps)
        }
        if let headDim = try c.optionalUInt32(["head_dim"]) {
            self["llama.attention.key_length"] = .uint32(headDim)
            self["llama.attention.value_length"] = .uint32(headDim)
        }
    }

    /// gguf-py's `size_label` of a dense model: the parameter count in K, M, B or T (above 10^6,
    /// 10^9, 10^12), with decimals so at least two digits show (`135M`, `1.2B`, `7.0B`).
    public static func sizeLabel(_ parameters: Int) -> String {
        let n = Double(abs(parameters))
        let (scaled, suffix) = n > 1e12 ? (n * 1e-12, "T") : n > 1e9 ? (n * 1e-9, "B") : n > 1e6 ? (n * 1e-6, "M") : (n * 1e-3, "K")
        // Python's round() rounds half to even, as does `.toNearestOrEven`.
        let whole = String(Int(scaled.rounded(.toNearestOrEven)))
        let digits = whole.drop { $0 == "0" }.count
        return String(format: "%.\(max(2 - digits, 0))f", scaled) + suffix
    }
}

/// A Hugging Face config.json read as the converter reads it (`find_hparam`: the first present key
/// of a list), with the project's own checks (`ModelConfig.validate`) on the values it also reads.
struct HuggingFaceConfig {
    let path: String
    let values: [String: Any]

    init(path: String) throws {
        self.path = path
        let data = try InputFile.read(URL(fileURLWithPath: path)) { ModelFileError.cannotOpen(path: path, reason: $0) }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelFileError.badHeader(path: path, reason: "config.json is not a JSON object")
        }
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: data) } catch {
            throw ModelFileError.badHeader(path: path, reason: "config.json does not decode: \(error)")
        }
        guard ["llama", "mistral"].contains(config.modelType) else {
            throw ModelFileError.badConfig(path: path, key: "model_type", value: config.modelType,
                                           expected: "llama or mistral (GGUF metadata is built for llama.cpp's llama architecture)")
        }
        try config.validate(path: path)
        values = object
    }

    /// `rope_parameters` (or `rope_scaling`), its `full_attention` part when split, with
    /// `rope_type` taken from `type` when only that is given, as the converter normalizes it.
    var ropeParameters: [String: Any] {
        var rope = (values["rope_parameters"] as? [String: Any]) ?? (values["rope_scaling"] as? [String: Any]) ?? [:]
        if let full = rope["full_attention"] as? [String: Any] { rope = full }
        if rope["rope_type"] == nil, let type = rope["type"] { rope["rope_type"] = type }
        return rope
    }

    /// The value of the first present key of `names` as a uint32, or nil when none is present.
    func optionalUInt32(_ names: [String]) throws -> UInt32? {
        guard let key = names.first(where: { values[$0] != nil && !(values[$0] is NSNull) }) else { return nil }
        guard let n = JSONScalar.int(values[key]), let v = UInt32(exactly: n) else {
            throw ModelFileError.badConfig(path: path, key: key, value: "\(values[key] ?? "")", expected: "an integer in 0...\(UInt32.max)")
        }
        return v
    }

    func uint32(_ key: String) throws -> UInt32 {
        guard let v = try optionalUInt32([key]) else { throw ModelFileError.missingMetadata(path: path, key: key) }
        return v
    }

    /// The first present key of `names` as a float32 (rounded to nearest, as gguf-py packs it).
    func optionalFloat(_ names: [String]) throws -> Float? {
        guard let key = names.first(where: { values[$0] != nil && !(values[$0] is NSNull) }) else { return nil }
        return try float(values[key], key: key)
    }

    func float(_ value: Any?, key: String) throws -> Float? {
        guard let value, !(value is NSNull) else { return nil }
        guard let n = value as? NSNumber, JSONScalar.bool(value) == nil, n.doubleValue.isFinite else {
            throw ModelFileError.badConfig(path: path, key: key, value: "\(value)", expected: "a finite number")
        }
        return Float(n.doubleValue)
    }
}
