import Foundation
import Quant
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
        let urls = Set(variants.map { cache.url(identity: identity, calibrationSHA256: "t", options: $0) } + [url])
        XCTAssertEqual(urls.count, variants.count + 1)
        XCTAssertNotEqual(url, cache.url(identity: identity, calibrationSHA256: "other text", options: base))
        var other = identity
        other.fingerprint = "abd"
        XCTAssertNotEqual(url, cache.url(identity: other, calibrationSHA256: "t", options: base))
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
