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
    /// Decodes a plan file (`autoscheme.plan/1`).
    /// - Throws: `PlanExportError.unreadablePlan` / `.unsupportedSchema` naming the file;
    ///   `.unknownFormat` naming the file, layer and value when a layer's format is not a canonical name.
    public static func readPlan(_ url: URL) throws -> QuantizationPlan {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PlanExportError.unreadablePlan(file: url.path, reason: error.localizedDescription)
        }
        let plan: QuantizationPlan
        do { plan = try JSONPolicy.decode(QuantizationPlan.self, from: data) } catch {
            if let bad = badFormat(error, data: data) {
                throw PlanExportError.unknownFormat(file: url.path, layer: bad.layer, format: bad.format)
            }
            throw PlanExportError.unreadablePlan(file: url.path, reason: "not a plan JSON (\(error))")
        }
        guard plan.schema == QuantizationPlan.currentSchema else {
            throw PlanExportError.unsupportedSchema(file: url.path, expected: QuantizationPlan.currentSchema, actual: plan.schema)
        }
        return plan
    }

    /// The layer name and value of a decoding error raised by a layer's format (`layers[i].format`).
    private static func badFormat(_ error: Error, data: Data) -> (layer: String, format: String)? {
        guard case let DecodingError.dataCorrupted(context) = error,
              let name = (context.underlyingError as? QuantError)?.formatName,
              context.codingPath.count == 3, let index = context.codingPath[1].intValue else { return nil }
        struct Names: Decodable {
            struct Layer: Decodable { var name: String? }
            var layers: [Layer]
        }
        let names = try? JSONDecoder().decode(Names.self, from: data)
        let layer = names.flatMap { index < $0.layers.count ? $0.layers[index].name : nil } ?? "layers[\(index)]"
        return (layer, name)
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
