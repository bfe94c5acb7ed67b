import Foundation

extension CLI {
    /// A plan file's JSON for SmolLM2-135M (30 blocks x 7 linear layers with their real parameter counts):
    /// layer i (block-major, kinds q k v o gate up down) takes `formats[i % formats.count]`; `firstName`
    /// replaces the first layer's name (to name a tensor the model lacks), `firstParameters` its
    /// parameter count (to describe another model's layer).
    static func smolLMPlanJSON(model: String, formats: [String], firstName: String? = nil, firstParameters: Int? = nil) -> String {
        let kinds = [("self_attn.q_proj", 576 * 576), ("self_attn.k_proj", 192 * 576), ("self_attn.v_proj", 192 * 576),
                     ("self_attn.o_proj", 576 * 576), ("mlp.gate_proj", 1536 * 576), ("mlp.up_proj", 1536 * 576),
                     ("mlp.down_proj", 576 * 1536)]
        var layers: [(name: String, parameters: Int, format: String)] = []
        for b in 0..<30 {
            for (k, (path, params)) in kinds.enumerated() {
                let i = b * 7 + k
                let name = i == 0 ? (firstName ?? "model.layers.0.\(path).weight") : "model.layers.\(b).\(path).weight"
                layers.append((name, i == 0 ? (firstParameters ?? params) : params, formats[i % formats.count]))
            }
        }
        return planJSON(model: model, layers: layers)
    }

    /// A plan file's JSON naming `layers` (weight name, parameter count, format) for `model`, with
    /// placeholder budget, achievement and solver fields.
    static func planJSON(model: String, layers: [(name: String, parameters: Int, format: String)]) -> String {
        let entries = layers.map {
            #"{"name": "\#($0.name)", "format": "\#($0.format)", "bits": 0, "parameters": \#($0.parameters), "score": 0, "reason": {"kind": "solver"}}"#
        }
        return """
        {"schema": "autoscheme.plan/1",
         "source": {"model_path": "\(model)", "fingerprint": "t", "estimator": "t"},
         "budget": {"average_bits": 4, "counting": "storage", "scope": "searched", "capacity_bits": 0},
         "achieved": {"searched_bits": 0, "searched_parameters": 0, "searched_average": 0, "model_bits": 0, "model_parameters": 0, "model_average": 0},
         "predicted_loss": 0,
         "solver": {"status": "optimal", "objective": 0, "bound": 0, "lp_bound": 0, "gap": 0, "seconds": 0,
                    "statistics": {"choices": 0, "non_dominated": 0, "after_fixing": 0, "groups_sent_to_mip": 0, "prover": "test"}},
         "layers": [\(entries.joined(separator: ",\n"))]}
        """
    }
}
