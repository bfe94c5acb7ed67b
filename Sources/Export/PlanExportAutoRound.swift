import Foundation

/// auto-round's `layer_config`: one entry per layer, keyed by Hugging Face module name, with the
/// keys auto-round reads (`bits`, `group_size`, `sym`, `data_type`, and for W4A4/W8A8 layers the
/// act_* keys; see `AutoRoundScheme`).
///
/// Load it in Python with `AutoRound(model, layer_config=json.load(open(path)))`.
enum PlanExportAutoRound {
    /// Pretty JSON with sorted keys.
    static func layerConfig(_ layers: [PlanExportLayer]) throws -> String {
        var config: [String: Any] = [:]
        // With any activation-quantized layer, every entry spells out its act_* keys (act_bits 16 when float).
        let activationKeys = layers.contains { $0.format.activation != nil }
        for l in layers { config[l.module] = AutoRoundScheme(l.format).jsonObject(activationKeys: activationKeys) }
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
