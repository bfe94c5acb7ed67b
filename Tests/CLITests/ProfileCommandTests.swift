import Foundation
import XCTest

/// `autoscheme profile`, run end to end as a process.
final class ProfileCommandTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments) }

    private func cachedModel() throws -> String { try CLI.cachedModel() }

    func testUnknownFormatListsKnownFormats() throws {
        let r = try run(["profile", "--formats", "int2,int5", "-o", "/tmp/never-written.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.hasPrefix("autoscheme: Unknown format 'int5'. Known formats: int2|int3|int4|int8[a][/g32|/g64|/g128], mxfp4, nvfp4, fp8, bf16"),
                      r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/never-written.json"))
    }

    func testHelpListsEstimators() throws {
        let r = try run(["profile", "--help"])
        XCTAssertEqual(r.status, 0)
        for name in ["output-error", "calibrated", "kl", "delta-loss", "fisher"] { XCTAssertTrue(r.stdout.contains("  \(name): "), name) }
    }

    /// A 3-sentence text is far too short for 2 windows of 64 tokens; the message says how many are needed.
    func testShortCalibrationTextSaysTokensNeeded() throws {
        let model = try cachedModel()
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("short-calib-\(getpid()).txt")
        try "Alice was beginning to get very tired. She had nothing to do. Once or twice she peeped.".write(to: text, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: text) }
        let r = try run(["profile", model, "--calib", text.path, "--nsamples", "2", "--seqlen", "64", "--probe-windows", "1",
                         "-o", "/tmp/never-written.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("2 windows of 64 tokens need 128 tokens."), r.stderr)
        XCTAssertTrue(r.stderr.contains("Calibration text \(text.path) has 2"), r.stderr)
    }

    /// Two layers, output-error only: the file is written, the summary counts fallbacks, and
    /// `--json` prints the same facts.
    func testProfileWritesFileAndSummary() throws {
        let model = try cachedModel()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: out) }
        // --target any: the candidates as given (the default autoround adds int*/g64 for 576 inputs).
        let r = try run(["profile", model, "--estimator", "output-error", "--nsamples", "2", "--seqlen", "128",
                         "--probe-windows", "1", "--layers", #"layers\.0\.self_attn\.(q|k)_proj"#, "--target", "any",
                         "-o", out.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(summary["layers"] as? Int, 2)
        let formats = try XCTUnwrap(summary["formats"] as? [[String: Any]])
        XCTAssertEqual(formats.map { $0["format"] as? String }, ["int2/g128", "int3/g128", "int4/g128", "int8/g128", "mxfp4", "nvfp4", "fp8", "bf16"])
        XCTAssertEqual(formats[0]["fallbacks"] as? Int, 2)
        XCTAssertEqual(formats[4]["fallbacks"] as? Int, 0)
        let profile = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        XCTAssertEqual(profile["schema"] as? String, "autoscheme.profile/1")
        XCTAssertEqual(profile["estimator"] as? String, "output-error")
        XCTAssertTrue(r.stderr.contains("capture 2/2 (100%)"), r.stderr)
    }
}
