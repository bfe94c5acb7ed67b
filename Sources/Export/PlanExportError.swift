import Foundation

/// Errors of plan exports and auto-round schemes: unreadable plans, plans that do not match the
/// model, formats a target cannot express. Every message names the file or layer and states what was
/// expected.
public enum PlanExportError: Error, LocalizedError, Equatable, Sendable {
    /// The plan file cannot be read or decoded.
    case unreadablePlan(file: String, reason: String)
    /// The plan's schema is not the one this version writes.
    case unsupportedSchema(file: String, expected: String, actual: String)
    /// A plan layer that is not a linear layer of the model.
    case unknownLayer(file: String, layer: String, model: String)
    /// A plan layer whose parameter count differs from the model's weight.
    case shapeMismatch(file: String, layer: String, expected: Int, actual: Int)
    /// A layer listed twice in the plan.
    case duplicateLayer(file: String, layer: String)
    /// A format name that is not a known format.
    case unknownFormat(file: String, layer: String, format: String)
    /// An auto-round scheme AutoScheme has no format for.
    case unsupportedScheme(layer: String, scheme: String)
    /// Writing the output failed.
    case writeFailed(path: String, reason: String)
    /// Layers whose formats the target's runtime cannot load (`export-plan` without `--approximate`):
    /// the first few `examples` (each `layer (format): reason`), how many in all, and what the target accepts.
    case targetCannotHold(file: String, target: String, examples: [String], count: Int, accepts: String)
    /// Layers whose formats llama.cpp cannot store as planned (`export-plan --to llamacpp` without
    /// `--approximate`): `count` layers in all, one entry per format, e.g.
    /// `int2/g64: 108 layers (blk.0.attn_q.weight, blk.0.attn_k.weight, blk.0.attn_v.weight, ...)`.
    case notLlamaCppTypes(file: String, count: Int, groups: [String])

    public var errorDescription: String? {
        switch self {
        case let .unreadablePlan(file, reason):
            return "Cannot read plan '\(file)': \(reason)."
        case let .unsupportedSchema(file, expected, actual):
            return "Plan '\(file)' has schema '\(actual)', expected '\(expected)'."
        case let .unknownLayer(file, layer, model):
            return "Plan '\(file)' names layer '\(layer)', which is not a linear layer of model '\(model)'."
        case let .shapeMismatch(file, layer, expected, actual):
            return "Plan '\(file)' gives layer '\(layer)' \(actual) parameters; the model's weight has \(expected)."
        case let .duplicateLayer(file, layer):
            return "Plan '\(file)' lists layer '\(layer)' more than once; expected each layer once."
        case let .unknownFormat(file, layer, format):
            return "Plan '\(file)' gives layer '\(layer)' the unknown format '\(format)'."
        case let .unsupportedScheme(layer, scheme):
            return "Layer '\(layer)': no AutoScheme format matches the auto-round scheme (\(scheme)); expected int 2/3/4/8 in groups of 32/64/128, mx_fp 4/32, nv_fp 4/16, fp 8 [128, 128] or 16 bits."
        case let .writeFailed(path, reason):
            return "Cannot write '\(path)': \(reason)."
        case let .targetCannotHold(file, target, examples, count, accepts):
            let more = count > examples.count ? " and \(count - examples.count) more" : ""
            return "Plan '\(file)' has \(count) layers \(target) cannot load: \(examples.joined(separator: "; "))\(more). "
                + "\(target) accepts: \(accepts). Search with --target \(target), or pass --approximate to write them anyway."
        case let .notLlamaCppTypes(file, count, groups):
            return "Plan '\(file)' has \(count) layers llama.cpp cannot store as planned (it stores ggml block types in whole blocks of the row, and bf16): "
                + groups.joined(separator: "; ")
                + ". Search with --target llamacpp, or pass --approximate to write the nearest ggml types."
        }
    }
}
