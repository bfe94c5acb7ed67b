import XCTest
import Model
import Formats
import TensorCore
@testable import Sensitivity

/// Bad input gets typed errors that say what is known or needed; awkward shapes record fallbacks.
final class InputErrorTests: XCTestCase {
    func testUnknownFormatListsTheKnownOnes() {
        XCTAssertThrowsError(try ProfilerOptions.parseFormats("int2, int5 ,mxfp4")) { error in
            guard case let ProfilerError.unknownFormat(name, known) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "int5")
            XCTAssertEqual(known, FormatTraits.knownNames)
            let message = error.localizedDescription
            XCTAssertTrue(message.contains("Unknown format 'int5'"), message)
            XCTAssertTrue(message.contains("mxfp4") && message.contains("nvfp4") && message.contains("int2|int3|int4|int8"), message)
        }
        XCTAssertThrowsError(try ProfilerOptions.parseFormats("int4,int4/g128")) { error in
            XCTAssertTrue(error.localizedDescription.contains("int4/g128 repeats"), error.localizedDescription)
        }
        XCTAssertEqual(try ProfilerOptions.parseFormats("W4A16, fp8").map(\.name), ["int4/g128", "fp8"])
    }

    /// 100 tokens hold 3 windows of 32; 4 calibration + 1 held-out windows need 160.
    func testShortTextSaysHowManyTokensAreNeeded() {
        let tokens = Array(0..<100)
        XCTAssertThrowsError(try CalibrationSplit(tokens: tokens, calibration: 4, heldOut: 1, length: 32, seed: 1, file: "short.txt")) { error in
            XCTAssertEqual(error as? ProfilerError,
                           .textTooShort(file: "short.txt", tokens: 100, needed: 160, windows: 5, sequenceLength: 32))
            XCTAssertEqual(error.localizedDescription,
                           "Calibration text short.txt has 100 tokens; 5 windows of 32 tokens need 160 tokens.")
        }
        XCTAssertNoThrow(try CalibrationSplit(tokens: tokens, calibration: 2, heldOut: 1, length: 32, seed: 1, file: "short.txt"))
    }

    /// Windows are whole non-overlapping slots, calibration and held-out never share one, and the
    /// seed decides the order.
    func testSplitWindowsAreDisjointAndSeeded() throws {
        let tokens = Array(0..<1000)
        let a = try CalibrationSplit(tokens: tokens, calibration: 10, heldOut: 5, length: 64, seed: 9, file: "t")
        let starts = a.calibrationStarts + a.heldOutStarts
        XCTAssertEqual(Set(starts).count, 15)
        XCTAssertTrue(starts.allSatisfy { $0 % 64 == 0 && $0 + 64 <= 1000 })
        XCTAssertEqual(a.calibration[0], Array(a.calibrationStarts[0]..<(a.calibrationStarts[0] + 64)))
        XCTAssertEqual(try CalibrationSplit(tokens: tokens, calibration: 10, heldOut: 5, length: 64, seed: 9, file: "t"), a)
        XCTAssertNotEqual(try CalibrationSplit(tokens: tokens, calibration: 10, heldOut: 5, length: 64, seed: 10, file: "t").calibrationStarts,
                          a.calibrationStarts)
    }

    func testLayerPatternErrors() throws {
        let config = TinyProfileModel.config()
        XCTAssertThrowsError(try ProfilerOptions(layerPattern: "([").selectedLayers(of: config)) { error in
            guard case ProfilerError.invalidLayerPattern(pattern: "([", reason: _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ProfilerOptions(layerPattern: "lm_head").selectedLayers(of: config)) { error in
            XCTAssertEqual(error as? ProfilerError, .noLayersMatch(pattern: "lm_head", example: "model.layers.0.self_attn.q_proj.weight"))
        }
        XCTAssertEqual(try ProfilerOptions(layerPattern: "down").selectedLayers(of: config),
                       [LayerID(block: 0, kind: .down), LayerID(block: 1, kind: .down)])
    }

    /// A model whose hidden width (48) is not a multiple of group 32 records the fallback on the layers
    /// reading 48 inputs, and none on down_proj (64 inputs); scores stay finite.
    func testShapeAFormatCannotTileRecordsTheFallback() throws {
        let config = TinyProfileModel.config(hidden: 48, ffn: 64, layers: 1)
        let tensors = TinyProfileModel.tensors(config)
        let options = ProfilerOptions(formats: try ProfilerOptions.parseFormats("int4/g32,bf16"), estimator: .outputError,
                                      sampleCount: 3, sequenceLength: 16, probeWindows: 1)
        let result = try SensitivityProfiler(model: try TinyProfileModel.model(config, tensors: tensors), options: options)
            .run(tokens: TinyProfileModel.tokens(200, vocab: config.vocabSize), identity: TinyProfileModel.identity(config, tensors),
                 calibrationFile: "t", calibrationSHA256: "0")
        for layer in result.profile.layers {
            let int4 = try XCTUnwrap(layer.candidate("int4/g32"))
            XCTAssertNil(layer.candidate("bf16")?.fallback)
            XCTAssertTrue(int4.score.isFinite && int4.score > 0)
            if layer.shape[1] == 48 {
                let padding = try QuantFormat(parsing: "int4/g32").traits.padding
                XCTAssertEqual(int4.fallback, "48 inputs are not a multiple of the group 32: rows end in a partial group of 16 "
                               + "(\(padding))", layer.name)
            } else {
                XCTAssertEqual(layer.shape[1], 64)
                XCTAssertNil(int4.fallback, layer.name)
            }
        }
    }

    func testValidationNeedsEveryLayer() throws {
        let config = TinyProfileModel.config()
        let tensors = TinyProfileModel.tensors(config)
        let options = ProfilerOptions(formats: try ProfilerOptions.parseFormats("int2/g32,int4/g32"), estimator: .outputError,
                                      sampleCount: 2, sequenceLength: 16, probeWindows: 1, layerPattern: "down", validationPlans: 3)
        XCTAssertThrowsError(try SensitivityProfiler(model: try TinyProfileModel.model(config, tensors: tensors), options: options)
            .run(tokens: TinyProfileModel.tokens(200, vocab: config.vocabSize), identity: TinyProfileModel.identity(config, tensors),
                 calibrationFile: "t", calibrationSHA256: "0")) { error in
            XCTAssertEqual(error as? ProfilerError, .validationNeedsAllLayers(profiled: 2, total: 14))
        }
    }

    func testOptionRangesAreChecked() throws {
        XCTAssertThrowsError(try ProfilerOptions(validationPlans: 2).validate()) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("Option --validate = 2 is invalid; expected 0 (no validation) or at least 3 plans"),
                          error.localizedDescription)
        }
        XCTAssertThrowsError(try ProfilerOptions(sampleCount: 4, probeWindows: 5).validate()) { error in
            XCTAssertEqual(error as? ProfilerError, .invalidOption(name: "--probe-windows", value: "5",
                                                                 expected: "1...4 (a subset of the calibration windows)"))
        }
        XCTAssertThrowsError(try ProfilerOptions(formats: [.bf16, .fp8], validationPlans: 4).validate()) { error in
            guard case ProfilerError.invalidOption(name: "--formats", value: _, expected: _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertNoThrow(try ProfilerOptions(validationPlans: 16).validate())
    }
}
