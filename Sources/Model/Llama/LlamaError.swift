import Foundation

/// Errors of the Llama-family forward pass, calibration capture and evaluation.
public enum LlamaError: Error, LocalizedError, Equatable, Sendable {
    /// `model_type` is not one of the Llama family this module runs.
    case unsupportedModelType(String)
    /// A configuration value this module cannot run (field, value, why).
    case unsupportedConfig(field: String, value: Int, reason: String)
    /// A tensor the architecture needs is absent from the source.
    case missingTensor(String)
    /// A tensor's shape differs from the one the configuration implies.
    case tensorShape(name: String, expected: [Int], actual: [Int])
    /// A token id outside the vocabulary.
    case tokenOutOfRange(token: Int, vocabSize: Int)
    /// The text yields fewer tokens than one window needs.
    case textTooShort(tokens: Int, needed: Int)
    /// Two models that must share an architecture do not (what differs).
    case mismatchedModels(String)
    /// A replacement weight for a linear layer has the wrong shape.
    case replacementShape(layer: String, expected: [Int], actual: [Int])
    /// A block index outside 0..<numHiddenLayers.
    case blockOutOfRange(index: Int, blocks: Int)
    public var errorDescription: String? {
        switch self {
        case .unsupportedModelType(let t):
            return "Unsupported model_type '\(t)'; expected one of \(LlamaFamily.allCases.map(\.rawValue).joined(separator: ", "))."
        case let .unsupportedConfig(field, value, reason):
            return "Unsupported configuration: \(field) = \(value): \(reason)."
        case .missingTensor(let name):
            return "Tensor '\(name)' is missing from the model."
        case let .tensorShape(name, expected, actual):
            return "Tensor '\(name)' has shape \(actual), expected \(expected)."
        case let .tokenOutOfRange(token, vocab):
            return "Token id \(token) is outside the vocabulary of \(vocab) tokens."
        case let .textTooShort(tokens, needed):
            return "The text has \(tokens) tokens, fewer than the \(needed) its windows need."
        case .mismatchedModels(let what):
            return "The two models differ: \(what)."
        case let .replacementShape(layer, expected, actual):
            return "Replacement weight for '\(layer)' has shape \(actual), expected \(expected)."
        case let .blockOutOfRange(index, blocks):
            return "Block index \(index) is outside 0..<\(blocks)."
        }
    }
}
