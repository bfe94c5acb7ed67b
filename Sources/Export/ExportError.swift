import Foundation

/// Errors of applying a plan and writing quantized checkpoints. Each names the file, layer or
/// folder involved and says what was expected.
public enum ExportError: Error, LocalizedError, Equatable, Sendable {
    /// The output folder exists and is not empty, and overwriting was not asked for.
    case outputExists(path: String)
    /// Writing the output failed.
    case writeFailed(path: String, reason: String)
    /// A model that the driver cannot quantize (e.g. too few calibration tokens).
    case unsupportedModel(path: String, reason: String)
    /// A layout without a place for activation quantization (`fake`, `gguf`) asked to hold a plan
    /// with activation-quantized layers (`layer` the first of `layers`).
    case activationsNotStorable(layout: String, layer: String, layers: Int)

    public var errorDescription: String? {
        switch self {
        case let .outputExists(path):
            return "Output folder '\(path)' exists and is not empty; expected an empty or absent folder (pass --overwrite to replace it)."
        case let .writeFailed(path, reason):
            return "Cannot write '\(path)': \(reason)."
        case let .unsupportedModel(path, reason):
            return "Cannot quantize '\(path)': \(reason)."
        case let .activationsNotStorable(layout, layer, layers):
            return "The \(layout) layout cannot record activation quantization, which \(layers) layers use (first: \(layer)); "
                + "write --format auto_round."
        }
    }
}
