import Foundation
import Model
import Formats
import Sensitivity
import IO

/// Profiles kept in `<cache>/profiles/<key>.json`, so re-targeting a budget never re-profiles.
///
/// The key is the SHA-256 of the model fingerprint (config + tensor index), the calibration text's
/// digest and every profiler setting that changes scores; any change gives a new key.
public struct ProfileCache: Sendable {
    /// Folder holding the cached profiles.
    public let directory: URL

    public init(directory: URL = URL(fileURLWithPath: Assets.cacheDirectory).appendingPathComponent("profiles")) {
        self.directory = directory
    }

    /// What determines a profile's scores.
    struct Key: Codable {
        var fingerprint: String
        var calibrationSHA256: String
        var formats: [String]
        var estimator: String
        /// Definition revisions of every estimator the profile holds (a changed definition: a new key).
        var estimatorRevisions: [String: Int]
        var samples: Int
        var sequenceLength: Int
        var seed: UInt64
        var probeWindows: Int
        var probeLength: Int
        var probeFormats: [String]
        var validationPlans: Int
        var validationWindows: Int
        var layerPattern: String?
        var gradientWindows: Int
        var gradientBatchSize: Int
    }

    /// The cache file for a model identity, calibration digest and profiler options.
    public func url(identity: ModelIdentity, calibrationSHA256: String, options: ProfilerOptions) -> URL {
        url(for: key(identity: identity, calibrationSHA256: calibrationSHA256, options: options))
    }

    /// The key of a model identity, calibration digest and profiler options.
    func key(identity: ModelIdentity, calibrationSHA256: String, options: ProfilerOptions) -> Key {
        Key(fingerprint: identity.fingerprint, calibrationSHA256: calibrationSHA256,
                      formats: options.formats.map(\.name), estimator: options.estimator.rawValue,
                      estimatorRevisions: Dictionary(uniqueKeysWithValues: options.computedEstimators.map {
                          ($0.rawValue, $0.definitionRevision)
                      }),
                      samples: options.sampleCount, sequenceLength: options.sequenceLength, seed: options.seed,
                      probeWindows: options.probeWindows, probeLength: options.probeLength,
                      probeFormats: options.probeFormats.map(\.name), validationPlans: options.validationPlans,
                      validationWindows: options.validationWindows, layerPattern: options.layerPattern,
                      gradientWindows: options.gradientWindows, gradientBatchSize: options.gradientBatchSize)
    }

    /// `<directory>/<first 24 hex digits of SHA-256 of the key's sorted-keys JSON>.json`.
    func url(for key: Key) -> URL {
        let digest = SHA256Digest.hex((try? JSONPolicy.encode(key, style: .compact)) ?? Data())
        return directory.appendingPathComponent("\(digest.prefix(24)).json")
    }

    /// The cached profile, if present and readable; a corrupt cache entry is ignored (and replaced later).
    public func load(_ url: URL) -> SensitivityProfile? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try? SensitivityProfile.load(from: url)
    }

    /// Stores a profile (temporary file, then rename).
    public func store(_ profile: SensitivityProfile, at url: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try profile.write(to: url)
    }
}
