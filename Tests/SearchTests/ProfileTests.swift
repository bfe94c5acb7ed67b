import Formats
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
        profile.formats.append("int8/g128")  // listed, but no layer has scores for it
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

    func testFormatNames() throws {
        for name in ["int2/g128", "int4a/g64", "mxfp4", "nvfp4", "fp8", "bf16", "int8/g32", "q4_1", "q5_1"] {
            XCTAssertEqual(try QuantFormat(canonicalName: name).name, name)
        }
        // Other spellings of supported formats, then names of no supported format (mxfp6, mxfp8 and
        // f16 were once listed as canonical; the tool has no such formats).
        for name in ["int4", "INT4/g128", "W4A16", " fp8", "q4_k", "Q2_K"] {
            XCTAssertThrowsError(try QuantFormat(canonicalName: name), name) { error in
                guard case QuantError.nonCanonicalName(name, _) = error else { return XCTFail("\(error)") }
            }
        }
        for name in ["int0/g128", "int4/g0", "q7_K", "q8_1", "int4b/g64", "int5/g32", "fp4", "", "mxfp6", "mxfp8", "f16"] {
            XCTAssertThrowsError(try QuantFormat(canonicalName: name), name) { error in
                guard case QuantError.unknownFormat(name, _) = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(LinearKind(moduleName: "model.layers.3.mlp.gate_proj.weight"), .gate)
        XCTAssertNil(LinearKind(moduleName: "lm_head.weight"))  // written "other"
    }

    /// A profile file naming a format in any way but its canonical name is refused, naming the file,
    /// the field and the value.
    func testProfileWithNonCanonicalFormatIsRefused() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(SyntheticProfile.make(layers: 7, seed: 3)), as: UTF8.self)
        XCTAssertNoThrow(try SensitivityProfile.decode(Data(text.utf8), file: "p.json"))
        for bad in ["INT4/g128", "int4", "int5/g32", "fp4", ""] {
            let json = text.replacingOccurrences(of: #""int4/g128""#, with: "\"\(bad)\"")
            XCTAssertThrowsError(try SensitivityProfile.decode(Data(json.utf8), file: "p.json"), bad) { error in
                guard case let ProfileError.invalid(file, layer, problem)? = error as? ProfileError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(file, "p.json")
                XCTAssertNil(layer)
                XCTAssertTrue(problem.contains("format \"\(bad)\" is not a canonical name"), problem)
                XCTAssertTrue(problem.contains("formats.[2]"), problem)
            }
        }
    }
}
