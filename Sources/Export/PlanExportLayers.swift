import Foundation
import Model
import Formats
import Search
import IO

/// One plan decision checked against a model: the module, its weight's shape and its format.
public struct PlanExportLayer: Sendable, Equatable {
    /// Hugging Face module name, e.g. `model.layers.0.self_attn.q_proj`.
    public var module: String
    /// Hugging Face weight name (`module + ".weight"`).
    public var weightName: String
    /// The model's linear layer.
    public var layer: LinearLayer
    public var format: QuantFormat
}

/// Reads plans and checks them against a model.
public enum PlanExportLayers {
    /// Reads a plan file (`autoscheme.plan/1`) with the one plan reader (`QuantizationPlan.load`).
    /// - Throws: `PlanExportError.unreadablePlan` / `.unsupportedSchema` naming the file;
    ///   `.unknownFormat` naming the file, layer and value when a layer's format is not a canonical name;
    ///   `PlanFileError.invalid` for a value out of range (naming the layer or field and the bound).
    public static func readPlan(_ url: URL) throws -> QuantizationPlan {
        do { return try QuantizationPlan.load(from: url) } catch let error as PlanFileError {
            switch error {
            case let .unreadable(file, reason): throw PlanExportError.unreadablePlan(file: file, reason: reason)
            case let .malformed(file, reason): throw PlanExportError.unreadablePlan(file: file, reason: "not a plan JSON (\(reason))")
            case let .unsupportedSchema(file, expected, found):
                throw PlanExportError.unsupportedSchema(file: file, expected: expected, actual: found)
            case let .unknownFormat(file, layer, format): throw PlanExportError.unknownFormat(file: file, layer: layer, format: format)
            case .invalid: throw error
            }
        }
    }

    /// The plan's layers in plan order, each matched to a linear layer of `model` by name and
    /// parameter count (formats are known by type: `readPlan` refuses unknown names).
    /// - Parameter file: the plan's path, for messages.
    /// - Throws: `PlanExportError` naming the first mismatch (unknown layer, parameter count,
    ///   duplicate).
    /// - Complexity: O(plan layers + model layers).
    public static func resolve(_ plan: QuantizationPlan, model: ModelDescription, file: String) throws -> [PlanExportLayer] {
        let byWeight = Dictionary(model.linearLayers.map { ($0.weightName, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        return try plan.layers.map { decision in
            let weight = decision.name.hasSuffix(".weight") ? decision.name : decision.name + ".weight"
            guard let layer = byWeight[weight] else {
                throw PlanExportError.unknownLayer(file: file, layer: decision.name, model: model.path)
            }
            guard seen.insert(weight).inserted else { throw PlanExportError.duplicateLayer(file: file, layer: decision.name) }
            guard decision.parameters == layer.parameterCount else {
                throw PlanExportError.shapeMismatch(file: file, layer: decision.name, expected: layer.parameterCount, actual: decision.parameters)
            }
            return PlanExportLayer(module: layer.name, weightName: weight, layer: layer, format: decision.format)
        }
    }
}
