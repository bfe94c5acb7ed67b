/// The architecture of a Llama-family model: a Codable mirror of Hugging Face's `config.json`.
///
/// Coding keys keep Hugging Face's names; Swift names stay idiomatic. Defaults and validation live
/// in `init(from:)`; derived values are computed properties. A GGUF file yields the same struct from
/// its `{arch}.*` metadata.
public struct ModelConfig: Codable, Sendable, Equatable {
    /// Hugging Face `model_type`: "llama", "mistral", "qwen2", "qwen3".
    public var modelType: String
    /// Width of the residual stream.
    public var hiddenSize: Int
    /// Number of transformer blocks.
    public var numHiddenLayers: Int
    /// Number of query heads.
    public var numAttentionHeads: Int
    /// Number of key/value heads (grouped-query attention when smaller than `numAttentionHeads`).
    public var numKeyValueHeads: Int
    /// Width of one attention head; defaults to hiddenSize / numAttentionHeads.
    public var headDim: Int
    /// Inner width of the SwiGLU MLP.
    public var intermediateSize: Int
    /// RoPE base frequency.
    public var ropeTheta: Double
    /// A RoPE variant other than plain RoPE (`rope_parameters.rope_type`, or `rope_scaling`'s), nil
    /// for plain RoPE, the only one this project runs: `validate(path:)` refuses it.
    public var scaledRope: ScaledRope?
    /// RoPE variant: "default" (plain RoPE) or the scaled one's name ("linear", "llama3", ...).
    public var ropeType: String { scaledRope?.type ?? "default" }
    /// RMSNorm epsilon.
    public var rmsNormEps: Double
    /// Whether the LM head reuses the token embedding.
    public var tieWordEmbeddings: Bool
    /// Vocabulary size (rows of the embedding).
    public var vocabSize: Int
    /// Whether q/k/v projections carry a bias (Qwen2).
    public var attentionBias: Bool
    /// Maximum context length the model was trained for.
    public var maxPositionEmbeddings: Int
    /// Token id of beginning-of-sequence, if any.
    public var bosTokenId: Int?
    /// Token id of end-of-sequence, if any.
    public var eosTokenId: Int?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case intermediateSize = "intermediate_size"
        case ropeTheta = "rope_theta"
        case rmsNormEps = "rms_norm_eps"
        case tieWordEmbeddings = "tie_word_embeddings"
        case vocabSize = "vocab_size"
        case attentionBias = "attention_bias"
        case maxPositionEmbeddings = "max_position_embeddings"
        case bosTokenId = "bos_token_id"
        case eosTokenId = "eos_token_id"
    }

    /// Keys of `rope_parameters` (transformers 5) and `rope_scaling` (earlier releases).
    private enum RopeKeys: String, CodingKey {
        case ropeParameters = "rope_parameters"
        case ropeScaling = "rope_scaling"
        case ropeTheta = "rope_theta"
        case ropeType = "rope_type"
        case type
        case fullAttention = "full_attention"
    }

    /// rope_theta and the scaled variant of `rope_parameters` (or, when absent or null, `rope_scaling`),
    /// its `full_attention` part when split by attention type; nil values when absent.
    private static func ropeParameters(_ decoder: Decoder) throws -> (theta: Double?, scaled: ScaledRope?) {
        let c = try decoder.container(keyedBy: RopeKeys.self)
        guard let key = [RopeKeys.ropeParameters, .ropeScaling].first(where: { (try? c.decodeNil(forKey: $0)) == false }) else {
            return (nil, nil)
        }
        var rope = try c.nestedContainer(keyedBy: RopeKeys.self, forKey: key)
        var path = key.rawValue
        if rope.contains(.fullAttention) {
            rope = try rope.nestedContainer(keyedBy: RopeKeys.self, forKey: .fullAttention)
            path += ".full_attention"
        }
        let typeKey: RopeKeys = rope.contains(.ropeType) ? .ropeType : .type
        let type = try rope.decodeIfPresent(String.self, forKey: typeKey)
        return (try rope.decodeIfPresent(Double.self, forKey: .ropeTheta),
                type.flatMap { $0 == "default" ? nil : ScaledRope(type: $0, key: path + "." + typeKey.rawValue) })
    }

    public init(modelType: String, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                numKeyValueHeads: Int, headDim: Int? = nil, intermediateSize: Int, ropeTheta: Double = 10_000,
                rmsNormEps: Double = 1e-5, tieWordEmbeddings: Bool = false, vocabSize: Int,
                attentionBias: Bool? = nil, maxPositionEmbeddings: Int = 2048,
                bosTokenId: Int? = nil, eosTokenId: Int? = nil) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim ?? (numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0)
        self.intermediateSize = intermediateSize
        self.ropeTheta = ropeTheta
        self.rmsNormEps = rmsNormEps
        self.tieWordEmbeddings = tieWordEmbeddings
        self.vocabSize = vocabSize
        self.attentionBias = attentionBias ?? (modelType == "qwen2")
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
        let heads = try c.decode(Int.self, forKey: .numAttentionHeads)
        let eos: Int?
        if let single = try? c.decodeIfPresent(Int.self, forKey: .eosTokenId) {
            eos = single
        } else {
            eos = (try? c.decodeIfPresent([Int].self, forKey: .eosTokenId))?.first
        }
        let rope = try Self.ropeParameters(decoder)
        self.init(
            modelType: modelType,
            hiddenSize: try c.decode(Int.self, forKey: .hiddenSize),
            numHiddenLayers: try c.decode(Int.self, forKey: .numHiddenLayers),
            numAttentionHeads: heads,
            numKeyValueHeads: try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? heads,
            headDim: try c.decodeIfPresent(Int.self, forKey: .headDim),
            intermediateSize: try c.decode(Int.self, forKey: .intermediateSize),
            ropeTheta: try rope.theta ?? c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10_000,
            rmsNormEps: try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6,
            tieWordEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false,
            vocabSize: try c.decode(Int.self, forKey: .vocabSize),
            attentionBias: try c.decodeIfPresent(Bool.self, forKey: .attentionBias),
            maxPositionEmbeddings: try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048,
            bosTokenId: try c.decodeIfPresent(Int.self, forKey: .bosTokenId),
            eosTokenId: eos)
        scaledRope = rope.scaled
    }

    /// Width of all query heads together (numAttentionHeads * headDim).
    public var queryWidth: Int { numAttentionHeads * headDim }
    /// Width of all key (or value) heads together (numKeyValueHeads * headDim).
    public var keyValueWidth: Int { numKeyValueHeads * headDim }
}

/// A scaled RoPE variant named by a config.json (which this project refuses).
public struct ScaledRope: Sendable, Equatable {
    /// Its name: "linear", "dynamic", "yarn", "llama3", ...
    public var type: String
    /// The key it was read from ("rope_parameters.rope_type", "rope_scaling.type", ...).
    public var key: String
}
