/// Architectures of the Llama family this module runs (Hugging Face `model_type`).
public enum LlamaFamily: String, CaseIterable, Sendable {
    /// Llama, SmolLM: no biases, no Q/K norms.
    case llama
    /// Same tensors as Llama.
    case mistral
    /// Q/K/V projections carry biases.
    case qwen2
    /// RMSNorm over each head of Q and K before RoPE (`q_norm`, `k_norm`, width head_dim).
    case qwen3
}

// `LinearKind` (the role of a linear layer) is defined beside the loader in Files/LinearLayer.swift.
extension LinearKind {
    /// Where the layer reads its input; layers at one site share one input Gram matrix.
    public var inputSite: LinearInputSite {
        switch self {
        case .q, .k, .v: return .attentionInput
        case .o: return .attentionOutput
        case .gate, .up: return .mlpInput
        case .down: return .mlpHidden
        }
    }
}

/// The four distinct inputs of a block's linear layers.
public enum LinearInputSite: String, CaseIterable, Sendable, Codable, Hashable {
    /// RMSNorm'd residual stream before attention (input of q, k, v). Width: hidden.
    case attentionInput
    /// Concatenated attention heads (input of o). Width: heads * head_dim.
    case attentionOutput
    /// RMSNorm'd residual stream before the MLP (input of gate, up). Width: hidden.
    case mlpInput
    /// silu(gate) * up (input of down). Width: intermediate.
    case mlpHidden

    /// The layers reading this input.
    public var layers: [LinearKind] { LinearKind.allCases.filter { $0.inputSite == self } }
}

/// One linear layer of a model: block index and kind.
public struct LayerID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var block: Int
    public var kind: LinearKind

    public init(block: Int, kind: LinearKind) {
        self.block = block
        self.kind = kind
    }

    /// Hugging Face weight name, e.g. `model.layers.3.mlp.down_proj.weight`.
    public var weightName: String { "model.layers.\(block).\(kind.modulePath).weight" }

    public var description: String { "model.layers.\(block).\(kind.modulePath)" }

    public static func < (a: LayerID, b: LayerID) -> Bool {
        a.block != b.block ? a.block < b.block
            : LinearKind.allCases.firstIndex(of: a.kind)! < LinearKind.allCases.firstIndex(of: b.kind)!
    }
}

extension ModelConfig {
    /// Expected [out, in] shape of a linear layer.
    public func linearShape(of kind: LinearKind) -> [Int] {
        let c = self
        switch kind {
        case .q: return [c.queryWidth, c.hiddenSize]
        case .k, .v: return [c.keyValueWidth, c.hiddenSize]
        case .o: return [c.hiddenSize, c.queryWidth]
        case .gate, .up: return [c.intermediateSize, c.hiddenSize]
        case .down: return [c.hiddenSize, c.intermediateSize]
        }
    }
}
