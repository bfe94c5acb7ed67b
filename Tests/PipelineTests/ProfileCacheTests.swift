import Foundation
import Formats
import Sensitivity
import XCTest
@testable import Pipeline

/// The profile cache key: equal settings share an entry, any score-changing setting gets a new one.
final class ProfileCacheTests: XCTestCase {
    private let identity = ModelIdentity(path: "/m.gguf", architecture: "llama", fingerprint: "abc", totalParameters: 10,
                                         fixedTensors: [])

    func testKeyDependsOnEverySettingThatChangesScores() throws {
        let cache = ProfileCache(directory: URL(fileURLWithPath: "/tmp/profiles"))
        let base = ProfilerOptions()
        let url = cache.url(identity: identity, calibrationSHA256: "t", options: base)
        XCTAssertEqual(url, cache.url(identity: identity, calibrationSHA256: "t", options: ProfilerOptions()))
        XCTAssertEqual(url.deletingLastPathComponent().path, "/tmp/profiles")
        XCTAssertEqual(url.lastPathComponent.count, 24 + 5)

        var variants: [ProfilerOptions] = []
        var o = base; o.sampleCount = 16; variants.append(o)
        o = base; o.sequenceLength = 256; variants.append(o)
        o = base; o.seed = 7; variants.append(o)
        o = base; o.estimator = .kl; variants.append(o)
        o = base; o.formats = Array(base.formats.dropLast()); variants.append(o)
        o = base; o.probeWindows = 1; variants.append(o)
        o = base; o.gradientWindows = 2; variants.append(o)
        o = base; o.layerPattern = "mlp"; variants.append(o)
        o = base; o.probeFormats = [base.probeFormats[0]]; variants.append(o)
        o = base; o.probeFormats = base.probeFormats.reversed(); variants.append(o)
        let urls = Set(variants.map { cache.url(identity: identity, calibrationSHA256: "t", options: $0) } + [url])
        XCTAssertEqual(urls.count, variants.count + 1)
        XCTAssertNotEqual(url, cache.url(identity: identity, calibrationSHA256: "other text", options: base))
        var other = identity
        other.fingerprint = "abd"
        XCTAssertNotEqual(url, cache.url(identity: other, calibrationSHA256: "t", options: base))
    }

    /// A profile of an older definition of an estimator (calibrated revision 2: q, k, v errors at the
    /// projection's own output) gets another key than the current one, whatever the other settings;
    /// the default estimator's revision is in the key.
    func testKeyCarriesEstimatorDefinitionRevisions() throws {
        let cache = ProfileCache(directory: URL(fileURLWithPath: "/tmp/profiles"))
        let key = cache.key(identity: identity, calibrationSHA256: "t", options: ProfilerOptions())
        XCTAssertEqual(key.estimatorRevisions, ["output-error": 1, "fisher-kl": 1])
        var calibrated = ProfilerOptions()
        calibrated.estimator = .calibrated
        let current = cache.key(identity: identity, calibrationSHA256: "t", options: calibrated)
        XCTAssertEqual(current.estimatorRevisions, ["output-error": 1, "calibrated": 3])
        var old = current
        old.estimatorRevisions["calibrated"] = 2
        XCTAssertNotEqual(cache.url(for: old), cache.url(for: current))
        XCTAssertNotEqual(cache.url(for: key), cache.url(for: current))
        XCTAssertEqual(cache.url(for: key), cache.url(identity: identity, calibrationSHA256: "t", options: ProfilerOptions()))
        var validating = ProfilerOptions()
        validating.validationPlans = 16
        XCTAssertEqual(cache.key(identity: identity, calibrationSHA256: "t", options: validating).estimatorRevisions,
                       ["output-error": 1, "fisher-kl": 1, "delta-loss": 1, "fisher": 1])
    }

    func testCorruptEntryIsIgnored() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cache = ProfileCache(directory: dir)
        let url = cache.url(identity: identity, calibrationSHA256: "t", options: ProfilerOptions())
        XCTAssertNil(cache.load(url))
        try Data("{not json".utf8).write(to: url)
        XCTAssertNil(cache.load(url))
    }
}
