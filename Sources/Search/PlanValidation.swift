import Formats
import Foundation
import IO

/// Why a plan or sweep file was refused by the one plan reader (`QuantizationPlan.load`,
/// `PlanSweep.load`), shared by `export-plan`, `quantize`, `report` and the plan comparison.
public enum PlanFileError: LocalizedError, Equatable {
    /// The file cannot be read (missing, not a regular file, too large).
    case unreadable(file: String, reason: String)
    /// The JSON does not decode as a plan (missing key, wrong type, ...).
    case malformed(file: String, reason: String)
    /// The schema tag is not the one this code reads.
    case unsupportedSchema(file: String, expected: String, found: String)
    /// A layer's format is not a canonical format name.
    case unknownFormat(file: String, layer: String, format: String)
    /// A value is out of range or inconsistent; `place` names the layer or field.
    case invalid(file: String, place: String, problem: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason): return "Cannot read plan '\(file)': \(reason)."
        case let .malformed(file, reason): return "Plan '\(file)' is malformed: \(reason)."
        case let .unsupportedSchema(file, expected, found):
            return "Plan '\(file)' has schema '\(found)', expected '\(expected)'."
        case let .unknownFormat(file, layer, format):
            return "Plan '\(file)' gives layer '\(layer)' the unknown format '\(format)'."
        case let .invalid(file, place, problem): return "Plan '\(file)' is invalid: \(place): \(problem)."
        }
    }
}

extension QuantizationPlan {
    /// Reads, decodes and validates a plan file.
    /// - Throws: `PlanFileError` naming the file (and the layer or field).
    public static func load(from url: URL) throws -> QuantizationPlan {
        let data = try InputFile.read(url) { PlanFileError.unreadable(file: url.path, reason: $0) }
        return try decode(data, file: url.path)
    }

    /// Decodes and validates plan JSON; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws -> QuantizationPlan {
        try checkSchema(data, file: file, expected: currentSchema)
        let plan: QuantizationPlan = try decodeJSON(data, file: file)
        try plan.validate(file: file)
        return plan
    }

    /// Checks what every reader relies on: the schema; at least one layer and at most 2^22; unique,
    /// non-empty names; each layer's parameters in 1...2^40, bits in 0...64 x parameters, score finite
    /// and >= 0; the layers' parameters at most 2^48 in all; a budget of finite average bits in
    /// (0, 64]; achieved and predicted values finite and >= 0.
    /// - Throws: `PlanFileError.invalid` naming the file, the layer or field, and the bound.
    public func validate(file: String) throws {
        func fail(_ place: String, _ problem: String) -> PlanFileError { .invalid(file: file, place: place, problem: problem) }
        guard schema == Self.currentSchema else {
            throw PlanFileError.unsupportedSchema(file: file, expected: Self.currentSchema, found: schema)
        }
        guard !layers.isEmpty else { throw fail("layers", "empty; expected one decision per searched layer") }
        guard layers.count <= InputLimits.layers else { throw fail("layers", "\(layers.count) decisions; at most \(InputLimits.layers)") }
        var names = Set<String>(), total = 0
        for layer in layers {
            guard !layer.name.isEmpty else { throw fail("layers", "a layer has an empty name") }
            guard names.insert(layer.name).inserted else { throw fail("layer \(layer.name)", "listed more than once") }
            try Self.validate(layer, fail: fail)
            guard let sum = InputLimits.sum(total, layer.parameters, atMost: InputLimits.modelParameters) else {
                throw fail("layers", "parameters add up to more than \(InputLimits.modelParameters)")
            }
            total = sum
        }
        let bits = budget.averageBits
        guard bits.isFinite, bits > 0, bits <= Double(InputLimits.bitsPerParameter) else {
            throw fail("budget.average_bits", "\(bits) is not in (0, \(InputLimits.bitsPerParameter)]")
        }
        let mostBits = InputLimits.modelParameters * InputLimits.bitsPerParameter
        guard abs(budget.capacityBits) <= mostBits else { throw fail("budget.capacity_bits", "\(budget.capacityBits) is not in -\(mostBits)...\(mostBits)") }
        try achieved.validate(mostBits: mostBits, fail: fail)
        guard predictedLoss.isFinite, predictedLoss >= 0 else {
            throw fail("predicted_loss", "\(predictedLoss) is not a finite value >= 0")
        }
    }

    private static func validate(_ layer: LayerDecision, fail: (String, String) -> PlanFileError) throws {
        let place = "layer \(layer.name)"
        guard (1...InputLimits.tensorElements).contains(layer.parameters) else {
            throw fail(place, "parameters \(layer.parameters) is not in 1...\(InputLimits.tensorElements)")
        }
        let most = layer.parameters * InputLimits.bitsPerParameter
        guard (0...most).contains(layer.bits) else {
            throw fail(place, "bits \(layer.bits) is not in 0...\(most) (\(InputLimits.bitsPerParameter) per parameter)")
        }
        guard layer.score.isFinite, layer.score >= 0, layer.score <= InputLimits.score else {
            throw fail(place, "score \(layer.score) is not a finite value in 0...\(InputLimits.score)")
        }
    }
}

extension AchievedBits {
    fileprivate func validate(mostBits: Int, fail: (String, String) -> PlanFileError) throws {
        let counts = [("searched_bits", searchedBits, mostBits), ("searched_parameters", searchedParameters, InputLimits.modelParameters),
                      ("model_bits", modelBits, mostBits), ("model_parameters", modelParameters, InputLimits.modelParameters)]
        for (field, value, most) in counts where !(0...most).contains(value) {
            throw fail("achieved.\(field)", "\(value) is not in 0...\(most)")
        }
        for (field, value) in [("searched_average", searchedAverage), ("model_average", modelAverage)]
        where !(value.isFinite && value >= 0) {
            throw fail("achieved.\(field)", "\(value) is not a finite value >= 0")
        }
    }
}

extension PlanSweep {
    /// Reads, decodes and validates a sweep file: its schema, a finite frontier and every plan in it.
    /// - Throws: `PlanFileError` naming the file (and the plan's layer or field).
    public static func load(from url: URL) throws -> PlanSweep {
        try decode(try InputFile.read(url) { PlanFileError.unreadable(file: url.path, reason: $0) }, file: url.path)
    }

    /// Decodes and validates sweep JSON read from `file` (named in errors), as `load(from:)` does.
    public static func decode(_ data: Data, file: String) throws -> PlanSweep {
        try QuantizationPlan.checkSchema(data, file: file, expected: currentSchema)
        let sweep: PlanSweep = try QuantizationPlan.decodeJSON(data, file: file)
        try sweep.validate(file: file)
        return sweep
    }

    /// The schema, one frontier point per plan with finite values, and every plan valid.
    public func validate(file: String) throws {
        guard schema == Self.currentSchema else {
            throw PlanFileError.unsupportedSchema(file: file, expected: Self.currentSchema, found: schema)
        }
        guard !plans.isEmpty else { throw PlanFileError.invalid(file: file, place: "plans", problem: "empty; expected at least one plan") }
        guard frontier.count == plans.count else {
            throw PlanFileError.invalid(file: file, place: "frontier", problem: "\(frontier.count) points for \(plans.count) plans")
        }
        for (i, point) in frontier.enumerated()
        where ![point.targetBits, point.achievedBits, point.predictedLoss].allSatisfy({ $0.isFinite && $0 >= 0 }) {
            throw PlanFileError.invalid(file: file, place: "frontier[\(i)]", problem: "values must be finite and >= 0")
        }
        for plan in plans { try plan.validate(file: file) }
    }
}

extension QuantizationPlan {
    /// Refuses a file whose `schema` is another version's, before decoding the rest.
    static func checkSchema(_ data: Data, file: String, expected: String) throws {
        struct SchemaProbe: Decodable { var schema: String? }
        if let probe = try? JSONPolicy.decode(SchemaProbe.self, from: data), let found = probe.schema, found != expected {
            throw PlanFileError.unsupportedSchema(file: file, expected: expected, found: found)
        }
    }

    /// Decodes plan or sweep JSON; a non-canonical format names its layer.
    static func decodeJSON<T: Decodable>(_ data: Data, file: String) throws -> T {
        do { return try JSONPolicy.decode(T.self, from: data) } catch {
            if let bad = badFormat(error, data: data) {
                throw PlanFileError.unknownFormat(file: file, layer: bad.layer, format: bad.format)
            }
            throw PlanFileError.malformed(file: file, reason: describePlanDecoding(error))
        }
    }

    /// The layer name and value of a decoding error raised by a plan layer's format (`layers[i].format`).
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
}

/// One line naming the key path and the problem of a decoding error (plans, sweeps and the report's inputs).
public func describePlanDecoding(_ error: Error) -> String {
    guard let error = error as? DecodingError else { return error.localizedDescription }
    func path(_ c: DecodingError.Context) -> String {
        let keys = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "top level" : keys.joined(separator: ".")
    }
    switch error {
    case let .keyNotFound(key, c): return "missing key \"\(key.stringValue)\" at \(path(c))"
    case let .typeMismatch(type, c): return "wrong type at \(path(c)) (expected \(type))"
    case let .valueNotFound(type, c): return "missing value at \(path(c)) (expected \(type))"
    case let .dataCorrupted(c): return "\(c.debugDescription) at \(path(c))"
    @unknown default: return "\(error)"
    }
}
