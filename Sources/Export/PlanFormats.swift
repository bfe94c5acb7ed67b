import Foundation
import Model
import Quant
import Search

/// The format of each linear layer under a plan.
public enum PlanFormats {
    /// Reads a plan file (`autoscheme.plan/1`) with the same reader as `export-plan`.
    /// - Throws: `PlanExportError.unreadablePlan` / `.unsupportedSchema` naming the file.
    public static func load(_ path: String) throws -> QuantizationPlan {
        try PlanExportLayers.readPlan(URL(fileURLWithPath: path))
    }

    /// Maps every plan decision to the model's layer (`model.layers.N.<module>`, with or without
    /// `.weight`). Layers the plan does not mention are absent from the result (kept unquantized).
    /// - Throws: `ExportError.unknownLayer` / `.unknownFormat` naming the plan and layer.
    public static func resolve(_ plan: QuantizationPlan, config: ModelConfig, planName: String) throws -> [LayerID: QuantFormat] {
        var byName: [String: LayerID] = [:]
        for block in 0..<config.numHiddenLayers {
            for kind in LinearKind.allCases {
                let id = LayerID(block: block, kind: kind)
                byName[id.description] = id
                byName[id.weightName] = id
            }
        }
        var out: [LayerID: QuantFormat] = [:]
        for decision in plan.layers {
            guard let id = byName[decision.name] else {
                throw ExportError.unknownLayer(plan: planName, layer: decision.name)
            }
            do { out[id] = try QuantFormat(parsing: decision.format.rawValue) } catch {
                throw ExportError.unknownFormat(plan: planName, layer: decision.name, format: decision.format.rawValue)
            }
        }
        return out
    }
}
