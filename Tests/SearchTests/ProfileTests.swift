import Model
import XCTest
import Sensitivity
import TestSupport
@testable import Search

/// The profile file: round trip, validation, model matching.
final class ProfileTests: XCTestCase {
    func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("profile-\(UUID()).json")
    }

    func testRoundTripAndKeys() throws {
        let profile = SyntheticProfile.make(layers: 7, seed: 3)
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try profile.write(to: url)
        XCTAssertEqual(try SensitivityProfile.load(from: url), profile)
        let text = try String(contentsOf: url, encoding: .utf8)
        for key in ["\"fused_group\"", "\"fixed_tensors\"", "\"nsamples\"", "\"seqlen\"", "\"total_parameters\"",
                    "\"autoscheme.profile\\/1\"", "\"int2\\/g128\""] {
            XCTAssertTrue(text.contains(key), key)
        }
    }

    func testMalformedFileNamesFileAndProblem() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"schema": "autoscheme.profile/1", "estimator": "x"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try SensitivityProfile.load(from: url)) { error in
            let text = error.localizedDescription
            XCTAssertTrue(text.contains(url.path) && text.contains("missing key"), text)
        }
        try Data(#"{"schema": "autoscheme.profile/9"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try SensitivityProfile.load(from: url)) { error in
            XCTAssertEqual(error as? ProfileError, .unsupportedSchema(file: url.path, found: "autoscheme.profile/9"))
        }
    }

    func testValidationNamesTheLayer() throws {
        var profile = SyntheticProfile.make(layers: 7, seed: 3)
        profile.layers[2].candidates[1].score = -0.5
        XCTAssertThrowsError(try profile.validate(file: "p.json")) { error in
            XCTAssertEqual(error as? ProfileError, .invalid(file: "p.json", layer: "model.layers.0.self_attn.v_proj.weight",
                                                            problem: "score -0.5 for int3/g128 is not a finite value >= 0"))
        }
        profile = SyntheticProfile.make(layers: 7, seed: 3)
        profile.formats.append("q4_k")
        XCTAssertThrowsError(try profile.validate(file: "p.json"))
    }

    func testModelMismatchIsRefused() throws {
        let profile = SyntheticProfile.make(layers: 7, seed: 3)
        var signatures = profile.layers.map { LayerSignature(name: $0.name, shape: $0.shape) }
        XCTAssertNoThrow(try profile.verifyMatches(layers: signatures))
        signatures[1].shape = [256, 576]
        XCTAssertThrowsError(try profile.verifyMatches(layers: signatures)) { error in
            XCTAssertEqual(error as? ProfileError, .modelMismatch(layer: "model.layers.0.self_attn.k_proj.weight",
                                                                  expected: "shape [256, 576]", actual: "shape [192, 576]"))
        }
        signatures = profile.layers.dropLast().map { LayerSignature(name: $0.name, shape: $0.shape) }
        XCTAssertThrowsError(try profile.verifyMatches(layers: signatures)) { error in
            XCTAssertTrue(error.localizedDescription.contains("down_proj"), error.localizedDescription)
        }
    }

    func testFormatNames() {
        for name in ["int2/g128", "int4a/g64", "mxfp4", "nvfp4", "fp8", "bf16", "int8/g32"] {
            XCTAssertTrue(FormatName(name).isCanonical, name)
        }
        for name in ["int4", "INT4/g128", "int0/g128", "int4/g0", "q4_k", "int4b/g64"] {
            XCTAssertFalse(FormatName(name).isCanonical, name)
        }
        XCTAssertEqual(LinearKind(moduleName: "model.layers.3.mlp.gate_proj.weight"), .gate)
        XCTAssertNil(LinearKind(moduleName: "lm_head.weight"))  // written "other"
    }
}
