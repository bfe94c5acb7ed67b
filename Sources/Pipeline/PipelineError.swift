import Foundation

/// Errors of `autoscheme run` that no stage library reports itself.
public enum PipelineError: LocalizedError, Equatable {
    /// The output folder exists, is not empty, and `--overwrite` was not given.
    case outputNotEmpty(path: String)
    /// The output folder could not be created or moved into place.
    case unwritable(path: String, reason: String)
    /// A budget that is not a positive finite number.
    case invalidBudget(value: Double)

    public var errorDescription: String? {
        switch self {
        case let .outputNotEmpty(path):
            return "Output folder '\(path)' exists and is not empty; pass --overwrite to replace it."
        case let .unwritable(path, reason):
            return "Cannot write '\(path)': \(reason)."
        case let .invalidBudget(value):
            return "The average-bit budget must be a positive number, got \(value)."
        }
    }
}
