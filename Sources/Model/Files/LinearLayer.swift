/// The role of a linear layer inside a transformer block, in execution order.
public enum LinearKind: String, Codable, Sendable, CaseIterable {
    case q, k, v, o, gate, up, down

    /// Hugging Face module path inside `model.layers.N.`.
    public var modulePath: String {
        switch self {
        case .q: return "self_attn.q_proj"
        case .k: return "self_attn.k_proj"
        case .v: return "self_attn.v_proj"
        case .o: return "self_attn.o_proj"
        case .gate: return "mlp.gate_proj"
        case .up: return "mlp.up_proj"
        case .down: return "mlp.down_proj"
        }
    }

    /// The kind a Hugging Face weight or module name implies (`...self_attn.q_proj.weight` -> `.q`;
    /// Mixtral's expert names `w1`, `w3`, `w2` -> `.gate`, `.up`, `.down`): the first of these keys that
    /// is a whole dot-separated component of `name`. Nil for weights that are none of a block's linear
    /// layers (`lm_head.weight`, router gates); profiles write nil as `"other"`.
    public init?(moduleName name: String) {
        let table: [(String, LinearKind)] = [
            ("q_proj", .q), ("k_proj", .k), ("v_proj", .v), ("o_proj", .o),
            ("gate_proj", .gate), ("up_proj", .up), ("down_proj", .down),
            ("w1", .gate), ("w3", .up), ("w2", .down),
        ]
        let components = name.split(separator: ".").map(String.init)
        guard let kind = table.first(where: { components.contains($0.0) })?.1 else { return nil }
        self = kind
    }
}

/// One quantizable linear layer of a model.
public struct LinearLayer: Sendable, Equatable, Codable {
    /// Hugging Face module name, e.g. `model.layers.0.self_attn.q_proj`.
    public let name: String
    /// Transformer block index.
    public let block: Int
    /// Role in the block.
    public let kind: LinearKind
    /// Output features (rows of the weight).
    public let outFeatures: Int
    /// Input features (columns of the weight).
    public let inFeatures: Int
    /// How the weight is stored in the source file.
    public let storage: StorageType

    /// Name of the weight tensor (`name + ".weight"`).
    public var weightName: String { name + ".weight" }
    /// Name of the bias tensor, which exists only for models with biases.
    public var biasName: String { name + ".bias" }
    /// Weight shape [out, in].
    public var shape: [Int] { [outFeatures, inFeatures] }
    /// Number of weights (out x in).
    public var parameterCount: Int { outFeatures * inFeatures }
}
