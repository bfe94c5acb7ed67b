import TensorCore

/// The Float32 weights of one transformer block, in Hugging Face layout (linear weights out x in).
///
/// A streaming pass holds one of these at a time (about 14 MB for SmolLM2-135M).
public struct LlamaBlockWeights: Sendable {
    /// RMSNorm weight before attention (hidden).
    public var inputNorm: [Float]
    /// RMSNorm weight before the MLP (hidden).
    public var postAttentionNorm: [Float]
    /// Linear weights by kind: q (heads*d x hidden), k, v (kvHeads*d x hidden), o (hidden x heads*d),
    /// gate, up (intermediate x hidden), down (hidden x intermediate).
    public var linear: [LinearKind: Matrix]
    /// Q/K/V biases (Qwen2), nil when absent.
    public var qBias: [Float]?, kBias: [Float]?, vBias: [Float]?
    /// Per-head RMSNorm weights of Q and K (Qwen3, width head_dim), nil when absent.
    public var qNorm: [Float]?, kNorm: [Float]?
    /// Input quantizers of the activation-quantized layers (W4A4, W8A8): such a layer multiplies
    /// Q(x) instead of x, in the forward and the reverse pass alike. Empty for weight-only models.
    public var inputQuantizers: [LinearKind: any InputQuantizer] = [:]

    /// The weight of one linear layer. - Precondition: present (always, for loaded blocks).
    public subscript(kind: LinearKind) -> Matrix {
        get { linear[kind]! }
        set { linear[kind] = newValue }
    }

    /// Number of Float32 values held.
    public var parameterCount: Int {
        linear.values.reduce(0) { $0 + $1.count } + inputNorm.count + postAttentionNorm.count
            + (qBias?.count ?? 0) + (kBias?.count ?? 0) + (vBias?.count ?? 0)
            + (qNorm?.count ?? 0) + (kNorm?.count ?? 0)
    }
}

/// Embedding, final norm and LM head (the head is the embedding when tied).
public struct LlamaHeadWeights: Sendable {
    /// Token embedding (vocab x hidden).
    public var embedding: Matrix
    /// Final RMSNorm weight (hidden).
    public var finalNorm: [Float]
    /// LM head (vocab x hidden); nil when tied to the embedding.
    public var lmHead: Matrix?

    /// The matrix the logits are computed with.
    public var outputProjection: Matrix { lmHead ?? embedding }
}

extension LlamaArchitecture {
    /// Expected [out, in] shape of a linear layer.
    public func shape(of kind: LinearKind) -> [Int] { config.linearShape(of: kind) }

    /// Reads one tensor, checking its presence and shape.
    func tensor(_ name: String, shape: [Int], from source: any TensorSource,
                infos: [String: TensorInfo]) throws -> [Float] {
        guard let info = infos[name] else { throw LlamaError.missingTensor(name) }
        guard info.shape == shape || (shape.count == 1 && info.shape == [1, shape[0]]) else {
            throw LlamaError.tensorShape(name: name, expected: shape, actual: info.shape)
        }
        let data = try source.floats(name)
        guard data.count == shape.reduce(1, *) else {
            throw LlamaError.tensorShape(name: name, expected: shape, actual: [data.count])
        }
        return data
    }

    /// Loads block `index` from `source`, validating every shape against the configuration.
    public func loadBlock(_ index: Int, from source: any TensorSource,
                          infos: [String: TensorInfo]) throws -> LlamaBlockWeights {
        let c = config
        guard index >= 0 && index < c.numHiddenLayers else {
            throw LlamaError.blockOutOfRange(index: index, blocks: c.numHiddenLayers)
        }
        let p = "model.layers.\(index)."
        func vector(_ n: String, _ width: Int) throws -> [Float] {
            try tensor(p + n, shape: [width], from: source, infos: infos)
        }
        var linear: [LinearKind: Matrix] = [:]
        for kind in LinearKind.allCases {
            let s = shape(of: kind)
            linear[kind] = Matrix(rows: s[0], cols: s[1],
                                  data: try tensor(p + kind.modulePath + ".weight", shape: s, from: source, infos: infos))
        }
        var block = LlamaBlockWeights(
            inputNorm: try vector("input_layernorm.weight", c.hiddenSize),
            postAttentionNorm: try vector("post_attention_layernorm.weight", c.hiddenSize),
            linear: linear)
        if c.attentionBias {
            block.qBias = try vector("self_attn.q_proj.bias", c.queryWidth)
            block.kBias = try vector("self_attn.k_proj.bias", c.keyValueWidth)
            block.vBias = try vector("self_attn.v_proj.bias", c.keyValueWidth)
        }
        if family == .qwen3 {
            block.qNorm = try vector("self_attn.q_norm.weight", c.headDim)
            block.kNorm = try vector("self_attn.k_norm.weight", c.headDim)
        }
        return block
    }

    /// Loads embedding, final norm and (untied) LM head.
    public func loadHead(from source: any TensorSource, infos: [String: TensorInfo]) throws -> LlamaHeadWeights {
        let c = config
        let vh = [c.vocabSize, c.hiddenSize]
        let embedding = Matrix(rows: vh[0], cols: vh[1],
                               data: try tensor("model.embed_tokens.weight", shape: vh, from: source, infos: infos))
        let norm = try tensor("model.norm.weight", shape: [c.hiddenSize], from: source, infos: infos)
        var head: Matrix? = nil
        if !c.tieWordEmbeddings || infos["lm_head.weight"] != nil {
            if infos["lm_head.weight"] == nil && !c.tieWordEmbeddings {
                throw LlamaError.missingTensor("lm_head.weight")
            }
            head = Matrix(rows: vh[0], cols: vh[1],
                          data: try tensor("lm_head.weight", shape: vh, from: source, infos: infos))
        }
        return LlamaHeadWeights(embedding: embedding, finalNorm: norm, lmHead: head)
    }
}
