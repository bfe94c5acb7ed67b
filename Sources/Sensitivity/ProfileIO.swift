import Formats
import Foundation
import Model
import IO

/// Errors reading, validating or matching a sensitivity profile.
public enum ProfileError: LocalizedError, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The JSON does not decode as a profile (missing key, wrong type, ...).
    case malformed(file: String, reason: String)
    /// The schema tag is not one this code reads.
    case unsupportedSchema(file: String, found: String)
    /// A value is out of range or inconsistent.
    case invalid(file: String, layer: String?, problem: String)
    /// The profile was made for another model.
    case modelMismatch(layer: String, expected: String, actual: String)
    /// The file could not be written.
    case unwritable(file: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason):
            return "Cannot read profile \(file): \(reason)."
        case let .malformed(file, reason):
            return "Profile \(file) is malformed: \(reason)."
        case let .unsupportedSchema(file, found):
            return "Profile \(file) has schema \"\(found)\"; expected \"\(SensitivityProfile.currentSchema)\"."
        case let .invalid(file, layer, problem):
            let place = layer.map { " layer \($0):" } ?? ""
            return "Profile \(file) is invalid:\(place) \(problem)."
        case let .modelMismatch(layer, expected, actual):
            return "Profile does not belong to this model: layer \(layer): model has \(expected), profile has \(actual)."
        case let .unwritable(file, reason):
            return "Cannot write profile \(file): \(reason)."
        }
    }
}

/// The name and shape of one searched layer of a model, used to check that a profile matches it.
public struct LayerSignature: Sendable, Equatable {
    public var name: String
    /// [out, in].
    public var shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }
}

extension SensitivityProfile {
    /// Reads and validates a profile file.
    /// - Throws: `ProfileError` naming the file and the problem.
    public static func load(from url: URL) throws -> SensitivityProfile {
        let data = try InputFile.read(url) { ProfileError.unreadable(file: url.path, reason: $0) }
        return try decode(data, file: url.path)
    }

    /// Decodes and validates profile JSON; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws -> SensitivityProfile {
        struct SchemaProbe: Decodable { var schema: String? }
        if let probe = try? JSONPolicy.decode(SchemaProbe.self, from: data),
           let schema = probe.schema, schema != currentSchema {
            throw ProfileError.unsupportedSchema(file: file, found: schema)
        }
        let profile: SensitivityProfile
        do {
            profile = try JSONPolicy.decode(SensitivityProfile.self, from: data)
        } catch let error as DecodingError {
            if case let .dataCorrupted(context) = error, context.underlyingError is QuantError {
                // A format that is not a canonical name: the same error `validate` gives for bad values.
                throw ProfileError.invalid(file: file, layer: nil, problem: describe(error))
            }
            throw ProfileError.malformed(file: file, reason: describe(error))
        } catch {
            throw ProfileError.malformed(file: file, reason: error.localizedDescription)
        }
        try profile.validate(file: file)
        return profile
    }

    /// Refuses a profile made for another model: the searched layers must be exactly `layers`
    /// (same names, same shapes; order is ignored).
    public func verifyMatches(layers expected: [LayerSignature]) throws {
        let mine = Dictionary(layers.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        let theirs = Dictionary(expected.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        for signature in expected {
            guard let shape = mine[signature.name] else {
                throw ProfileError.modelMismatch(layer: signature.name, expected: "shape \(signature.shape)",
                                                 actual: "no such layer")
            }
            guard shape == signature.shape else {
                throw ProfileError.modelMismatch(layer: signature.name, expected: "shape \(signature.shape)",
                                                 actual: "shape \(shape)")
            }
        }
        if let extra = layers.first(where: { theirs[$0.name] == nil }) {
            throw ProfileError.modelMismatch(layer: extra.name, expected: "no such layer", actual: "shape \(extra.shape)")
        }
    }

    /// Writes the profile as pretty JSON to a temporary file next to `url`, then renames it.
    public func write(to url: URL) throws {
        do {
            try AtomicFile.writeJSON(self, to: url)
        } catch {
            throw ProfileError.unwritable(file: url.path, reason: error.localizedDescription)
        }
    }
}

/// A one-line description of a decoding error: which key path, what went wrong.
func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "top level" : keys.joined(separator: ".")
    }
    switch error {
    case let .keyNotFound(key, context):
        return "missing key \"\(key.stringValue)\" at \(path(context))"
    case let .typeMismatch(type, context):
        return "wrong type at \(path(context)) (expected \(type))"
    case let .valueNotFound(type, context):
        return "missing value at \(path(context)) (expected \(type))"
    case let .dataCorrupted(context):
        return "\(context.debugDescription) at \(path(context))"
    @unknown default:
        return "\(error)"
    }
}
