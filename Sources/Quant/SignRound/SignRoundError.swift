import Formats
import Foundation

/// Errors of SignRound's per-layer optimiser: inputs that do not fit the layer.
public enum SignRoundError: Error, LocalizedError, Equatable, Sendable {
    /// A Gram matrix or cross term whose shape does not match the layer's input width.
    case gramShape(layer: String, expected: String, actual: String)
    /// A Gram matrix summed over no tokens (no calibration data reached the layer).
    case noTokens(layer: String)
    /// Options out of range (iterations, learning rate).
    case invalidOptions(reason: String)

    public var errorDescription: String? {
        switch self {
        case let .gramShape(layer, expected, actual):
            return "SignRound on '\(layer)': Gram matrix has shape \(actual), expected \(expected)."
        case let .noTokens(layer):
            return "SignRound on '\(layer)': the Gram matrix sums over 0 tokens, expected at least 1 calibration token."
        case let .invalidOptions(reason):
            return "Invalid SignRound options: \(reason)."
        }
    }
}
