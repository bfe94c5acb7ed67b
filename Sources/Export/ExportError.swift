import Foundation

/// Errors of applying a plan and writing quantized checkpoints. Each names the file, layer or
/// folder involved and says what was expected.
public enum ExportError: Error, LocalizedError, Equatable, Sendable {
    /// A plan layer that names no linear layer of the model.
    case unknownLayer(plan: String, layer: String)
    /// A plan layer whose format name does not parse.
    case unknownFormat(plan: String, layer: String, format: String)
    /// The output folder exists and is not empty, and overwriting was not asked for.
    case outputExists(path: String)
    /// Writing the output failed.
    case writeFailed(path: String, reason: String)
    /// A model that the driver cannot quantize (e.g. too few calibration tokens).
    case unsupportedModel(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unknownLayer(plan, layer):
            return "Plan '\(plan)' names layer '\(layer)', which is not a linear layer of the model (expected model.layers.N.{self_attn.q_proj,...,mlp.down_proj})."
        case let .unknownFormat(plan, layer, format):
            return "Plan '\(plan)' gives layer '\(layer)' the format '\(format)', which is not a known format."
        case let .outputExists(path):
            return "Output folder '\(path)' exists and is not empty; expected an empty or absent folder (pass --overwrite to replace it)."
        case let .writeFailed(path, reason):
            return "Cannot write '\(path)': \(reason)."
        case let .unsupportedModel(path, reason):
            return "Cannot quantize '\(path)': \(reason)."
        }
    }
}
