import Foundation
import Model
import Formats

/// The `quantization_config` of an auto-round checkpoint.
///
/// The global scheme (`bits`, `group_size`, `sym`, `data_type`) is the quantized format holding the
/// most parameters (ties: the alphabetically first canonical name); bf16 is global only when every layer is bf16. `extra_config` lists every linear layer whose
/// scheme differs, with all four keys; linear layers without a quantized layer are listed as
/// `{"bits": 16, "data_type": "float"}`. Activation-quantized layers (W4A4, W8A8) carry auto-round's
/// act_* keys (`AutoRoundScheme.jsonObject(activationKeys:)`), and then every scheme spells them out.
/// `packing_format` is `auto_round:auto_gptq` when the global
/// format is int and `auto_round:llm_compressor` (compressed-tensors layouts) otherwise.
public enum AutoRoundQuantizationConfig {
    /// The global format for `layers`.
    public static func globalFormat(_ layers: [QuantizedLayer]) -> QuantFormat {
        var params: [QuantFormat: Int] = [:]
        for l in layers { params[l.format, default: 0] += l.tensor.rows * l.tensor.cols }
        let quantized = params.filter { $0.key.family != .bf16 }
        let pool = quantized.isEmpty ? params : quantized
        let best = pool.max { a, b in
            if a.value != b.value { return a.value < b.value }
            return a.key.name > b.key.name
        }
        return best?.key ?? .bf16
    }

    public static func object(model: ModelDescription, layers: [QuantizedLayer]) -> [String: Any] {
        let global = globalFormat(layers)
        let globalScheme = AutoRoundScheme(global)
        // A checkpoint with any activation-quantized layer spells out every scheme's act_* keys.
        let activationKeys = layers.contains { $0.format.activation != nil }
        var config = globalScheme.jsonObject(activationKeys: activationKeys)
        config["quant_method"] = "auto-round"
        config["packing_format"] = global.family == .int ? "auto_round:auto_gptq" : "auto_round:llm_compressor"
        config["block_name_to_quantize"] = "model.layers"
        config["provider"] = "autoscheme"
        let byModule = Dictionary(layers.map { ($0.module, $0.format) }, uniquingKeysWith: { a, _ in a })
        var extra: [String: Any] = [:]
        for linear in model.linearLayers {
            let scheme = byModule[linear.name].map(AutoRoundScheme.init) ?? AutoRoundScheme(.bf16)
            if scheme != globalScheme { extra[linear.name] = scheme.jsonObject(activationKeys: activationKeys) }
        }
        if !extra.isEmpty { config["extra_config"] = extra }
        return config
    }
}
