import Foundation

/// Errors of the sensitivity profiler: bad options, text too short, layers or formats that do not exist.
public enum ProfilerError: Error, LocalizedError, Equatable, Sendable {
    /// A format name neither canonical nor an alias; lists every known spelling.
    case unknownFormat(name: String, known: [String])
    /// An estimator name that does not exist.
    case unknownEstimator(name: String, known: [String])
    /// The calibration text has fewer tokens than the windows need.
    case textTooShort(file: String, tokens: Int, needed: Int, windows: Int, sequenceLength: Int)
    /// The `--layers` pattern is not a valid regular expression.
    case invalidLayerPattern(pattern: String, reason: String)
    /// The `--layers` pattern matches none of the model's linear layers.
    case noLayersMatch(pattern: String, example: String)
    /// An option outside its allowed range.
    case invalidOption(name: String, value: String, expected: String)
    /// Validation needs every layer profiled (a plan is a whole model).
    case validationNeedsAllLayers(profiled: Int, total: Int)
    /// The model's layer shapes do not match its configuration.
    case layerShape(layer: String, expected: [Int], actual: [Int])

    public var errorDescription: String? {
        switch self {
        case let .unknownFormat(name, known):
            return "Unknown format '\(name)'. Known formats: \(known.joined(separator: ", "))."
        case let .unknownEstimator(name, known):
            return "Unknown estimator '\(name)'. Known estimators: \(known.joined(separator: ", "))."
        case let .textTooShort(file, tokens, needed, windows, length):
            return "Calibration text \(file) has \(tokens) tokens; \(windows) windows of \(length) tokens need \(needed) tokens."
        case let .invalidLayerPattern(pattern, reason):
            return "Layer pattern '\(pattern)' is not a valid regular expression: \(reason)."
        case let .noLayersMatch(pattern, example):
            return "Layer pattern '\(pattern)' matches no linear layer (names look like '\(example)')."
        case let .invalidOption(name, value, expected):
            return "Option \(name) = \(value) is invalid; expected \(expected)."
        case let .validationNeedsAllLayers(profiled, total):
            return "Validation needs every layer profiled (plans cover the whole model); \(profiled) of \(total) layers were profiled."
        case let .layerShape(layer, expected, actual):
            return "Layer \(layer) has shape \(actual), expected \(expected)."
        }
    }
}
