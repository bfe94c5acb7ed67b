import Foundation
import Model
import Formats
import Search

/// The format of each linear layer under a plan.
public enum PlanFormats {
    /// Reads a plan file (`autoscheme.plan/1`) with the same reader as `export-plan`.
    /// - Throws: `PlanExportError.unreadablePlan` / `.unsupportedSchema` naming the file.
    public static func load(_ path: String) throws -> QuantizationPlan {
        try PlanExportLayers.readPlan(URL(fileURLWithPath: path))
    }

    /// Maps every plan decision to the model's layer, with the checks `export-plan` makes (known
    /// layer, matching parameter count, no duplicate, known format). Layers the plan does not mention
    /// are absent from the result (kept unquantized).
    /// - Parameter file: the plan's path or label, for messages.
    /// - Throws: `PlanExportError` naming the plan and the first mismatching layer.
    public static func resolve(_ plan: QuantizationPlan, model: ModelDescription, file: String) throws -> [LayerID: QuantFormat] {
        var out: [LayerID: QuantFormat] = [:]
        for layer in try PlanExportLayers.resolve(plan, model: model, file: file) {
            out[LayerID(block: layer.layer.block, kind: layer.layer.kind)] = layer.format
        }
        return out
    }
}
