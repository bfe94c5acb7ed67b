import Foundation

/// Errors of `autoscheme run` that no stage library reports itself.
public enum PipelineError: LocalizedError, Equatable {
    /// The output folder exists, is not empty, and `--overwrite` was not given.
    case outputNotEmpty(path: String)
    /// The output folder could not be created or moved into place.
    case unwritable(path: String, reason: String)
    /// A budget that is not a positive finite number.
    case invalidBudget(value: Double)
    /// An option value outside its range (`name` is the CLI option).
    case invalidOption(name: String, value: String, expected: String)
    /// No profile was given and none is cached for the model, text and default profiler settings.
    case noCachedProfile(path: String)
    /// A text holds fewer tokens than the run needs (`role`: calibration or evaluation).
    case textTooShort(path: String, role: String, tokens: Int, needed: Int, setting: String)
    /// The profile was measured on another model (fingerprints differ).
    case profileMismatch(profile: String, profileModel: String, model: String)
    /// An evaluation gave a value that is not a finite number (NaN weights, a broken configuration).
    case nonFiniteResult(quantity: String, value: Double)

    /// "1 window of 512 tokens", "16 windows of 512 tokens": the `setting` of `textTooShort`.
    public static func windows(_ count: Int, of length: Int) -> String {
        "\(count) window\(count == 1 ? "" : "s") of \(length) tokens"
    }

    public var errorDescription: String? {
        switch self {
        case let .outputNotEmpty(path):
            return "Output folder '\(path)' exists and is not empty; pass --overwrite to replace it."
        case let .unwritable(path, reason):
            return "Cannot write '\(path)': \(reason)."
        case let .invalidBudget(value):
            return "The average-bit budget must be a positive number, got \(value)."
        case let .invalidOption(name, value, expected):
            return "\(name) must be \(expected), got '\(value)'."
        case let .textTooShort(path, role, tokens, needed, setting):
            return "The \(role) text '\(path)' has \(tokens) tokens, fewer than the \(needed) needed for \(setting)."
        case let .noCachedProfile(path):
            return "No cached profile at '\(path)'; pass --profile FILE (e.g. reports/profile.json) or run `autoscheme profile` first."
        case let .nonFiniteResult(quantity, value):
            return "The evaluation gave \(quantity) \(value), not a finite number: the model's weights or configuration are broken."
        case let .profileMismatch(profile, profileModel, model):
            return "Profile '\(profile)' was measured on '\(profileModel)', a different model than '\(model)' (fingerprints differ)."
        }
    }
}
