import Foundation

/// auto-round's `layer_config`: one entry per layer, keyed by Hugging Face module name, with the
/// keys auto-round reads (`bits`, `group_size`, `sym`, `data_type`; see `AutoRoundScheme`).
///
/// Load it in Python with `AutoRound(model, layer_config=json.load(open(path)))`.
enum PlanExportAutoRound {
    /// Pretty JSON with sorted keys.
    static func layerConfig(_ layers: [PlanExportLayer]) throws -> String {
        var config: [String: Any] = [:]
        for l in layers { config[l.module] = AutoRoundScheme(l.format).jsonObject }
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
