import Foundation

/// Errors reading a report's inputs or writing the report.
public enum ReportError: LocalizedError, Equatable {
    /// A plan, sweep or evaluation file could not be read.
    case unreadable(file: String, reason: String)
    /// The JSON does not decode as the expected kind of file.
    case malformed(file: String, expected: String, reason: String)
    /// The file's schema tag is not the one this code reads.
    case unsupportedSchema(file: String, expected: String, found: String)
    /// A plan or sweep does not belong to the profile (a layer is missing, extra or different).
    case mismatch(file: String, layer: String, expected: String, actual: String)
    /// A value is out of range (e.g. a non-positive perplexity).
    case invalidValue(file: String, field: String, expected: String, actual: String)
    /// A `--eval LABEL=FILE` argument that cannot be understood.
    case badEvalArgument(text: String)
    /// The output folder or a report file could not be written.
    case unwritable(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason):
            return "Cannot read \(file): \(reason)."
        case let .malformed(file, expected, reason):
            return "\(file) is not a valid \(expected): \(reason)."
        case let .unsupportedSchema(file, expected, found):
            return "\(file) has schema \"\(found)\"; expected \"\(expected)\"."
        case let .mismatch(file, layer, expected, actual):
            return "\(file) does not match the profile: layer \(layer): profile has \(expected), file has \(actual)."
        case let .invalidValue(file, field, expected, actual):
            return "\(file): \(field) must be \(expected), got \(actual)."
        case let .badEvalArgument(text):
            return "Evaluation argument \"\(text)\" is not FILE or LABEL=FILE."
        case let .unwritable(path, reason):
            return "Cannot write report \(path): \(reason)."
        }
    }
}
