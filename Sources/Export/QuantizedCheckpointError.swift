import Foundation

/// Errors of quantized checkpoints (auto_round folders): writing, reading back, metadata.
/// Every message names the folder, tensor or layer and states what was expected.
public enum QuantizedCheckpointError: Error, LocalizedError, Equatable, Sendable {
    /// The output folder exists and is not empty, and overwriting was not asked for.
    case outputNotEmpty(path: String)
    /// A quantized layer that is not a linear layer of the model.
    case unknownLayer(layer: String, model: String)
    /// A quantized layer whose shape differs from the model's weight.
    case shapeMismatch(layer: String, expected: [Int], actual: [Int])
    /// A layer given twice.
    case duplicateLayer(layer: String)
    /// A tensor the checkpoint should hold but does not.
    case missingTensor(folder: String, tensor: String)
    /// A tensor with the wrong dtype or shape.
    case badTensor(folder: String, tensor: String, expected: String, actual: String)
    /// config.json is missing or its quantization_config is not an auto-round one.
    case badConfig(folder: String, reason: String)
    /// Q/K rows cannot be reordered for this layer and format.
    case cannotReorderRows(layer: String, reason: String)
    /// GGUF tokenizer metadata is missing or malformed.
    case badTokenizerMetadata(model: String, key: String, reason: String)
    /// A filesystem operation failed.
    case writeFailed(path: String, reason: String)
    /// A replacement for a non-linear tensor (a tuned norm) that the model lacks or whose size differs.
    case badReplacement(tensor: String, expected: String, actual: String)

    public var errorDescription: String? {
        switch self {
        case let .badReplacement(tensor, expected, actual):
            return "Replacement for tensor '\(tensor)' has \(actual), expected \(expected)."
        case let .outputNotEmpty(path):
            return "Output folder '\(path)' exists and is not empty; pass --overwrite to replace it."
        case let .unknownLayer(layer, model):
            return "Quantized layer '\(layer)' is not a linear layer of model '\(model)'."
        case let .shapeMismatch(layer, expected, actual):
            return "Quantized layer '\(layer)' has shape \(actual), expected \(expected)."
        case let .duplicateLayer(layer):
            return "Quantized layer '\(layer)' is given more than once; expected each layer once."
        case let .missingTensor(folder, tensor):
            return "Checkpoint '\(folder)' has no tensor '\(tensor)'."
        case let .badTensor(folder, tensor, expected, actual):
            return "Checkpoint '\(folder)': tensor '\(tensor)' is \(actual), expected \(expected)."
        case let .badConfig(folder, reason):
            return "Checkpoint '\(folder)': \(reason)."
        case let .cannotReorderRows(layer, reason):
            return "Cannot reorder the Q/K rows of '\(layer)' to rotate-half layout: \(reason)."
        case let .badTokenizerMetadata(model, key, reason):
            return "Model '\(model)': tokenizer metadata '\(key)' \(reason)."
        case let .writeFailed(path, reason):
            return "Cannot write '\(path)': \(reason)."
        }
    }
}
