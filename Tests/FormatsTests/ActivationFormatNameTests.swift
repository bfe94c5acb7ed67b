import XCTest
@testable import Formats

/// Names of the activation-quantized formats: parsing, canonical spelling, refusals.
final class ActivationFormatNameTests: XCTestCase {
    func testNamesParseAndRoundTrip() throws {
        XCTAssertEqual(QuantFormat.activationFormats.map(\.name), ["mxfp4-a4", "nvfp4-a4", "fp8-a8"])
        for f in QuantFormat.activationFormats {
            XCTAssertEqual(try QuantFormat(canonicalName: f.name), f)
            XCTAssertEqual(try QuantFormat(parsing: " " + f.name.uppercased() + " "), f)
            XCTAssertNotEqual(f, f.weightOnly)
            XCTAssertNil(f.weightOnly.activation)
            // The weights and their bits are the weight-only format's.
            let shape = TensorShape(rows: 576, cols: 1536)
            XCTAssertEqual(f.bitCost(shape: shape), f.weightOnly.bitCost(shape: shape))
        }
        XCTAssertEqual(QuantFormat.nvfp4A4.activation, .nvfp4)
        XCTAssertEqual(QuantFormat.fp8A8.activation?.groupSize, 128)
        // The alias of the weight format takes the suffix too.
        XCTAssertEqual(try QuantFormat(parsing: "FP8_BLOCK-a8"), .fp8A8)
        XCTAssertThrowsError(try QuantFormat(canonicalName: "NVFP4-a4")) { error in
            XCTAssertEqual(error as? QuantError, .nonCanonicalName(name: "NVFP4-a4", canonical: "nvfp4-a4"))
        }
        let json = try JSONEncoder().encode([QuantFormat.nvfp4A4])
        XCTAssertEqual(String(decoding: json, as: UTF8.self), "[\"nvfp4-a4\"]")
        XCTAssertEqual(try JSONDecoder().decode([QuantFormat].self, from: json), [.nvfp4A4])
    }

    func testIncompatiblePartsAreRefusedByName() {
        for (name, reason) in [("int4/g128-a4", "int4/g128 weights have no activation-quantized form"),
                               ("mxfp4-a8", "mxfp4 weights pair with 4-bit mxfp4 activations, not 8-bit"),
                               ("fp8-a4", "fp8 weights pair with 8-bit fp8 activations, not 4-bit"),
                               ("bf16-a8", "bf16 weights have no activation-quantized form")] {
            XCTAssertThrowsError(try QuantFormat(parsing: name), name) { error in
                XCTAssertEqual(error as? QuantError, .incompatibleActivation(name: name, reason: reason))
                XCTAssertTrue(error.localizedDescription.contains("mxfp4-a4, nvfp4-a4, fp8-a8"), error.localizedDescription)
            }
        }
        for name in ["nvfp4-a4-a4", "-a4", "nvfp4-a"] {
            XCTAssertThrowsError(try QuantFormat(parsing: name), name) { error in
                guard case .unknownFormat? = error as? QuantError else { return XCTFail("\(name): \(error)") }
            }
        }
    }

    func testInputWidthMustBeWholeGroups() {
        XCTAssertTrue(QuantFormat.nvfp4A4.acceptsInputs(576))
        XCTAssertTrue(QuantFormat.mxfp4A4.acceptsInputs(576))
        XCTAssertFalse(QuantFormat.fp8A8.acceptsInputs(576))   // 4.5 groups of 128
        XCTAssertTrue(QuantFormat.fp8A8.acceptsInputs(1536))
        XCTAssertTrue(QuantFormat.fp8.acceptsInputs(576))      // weight-only: no activation groups
        XCTAssertFalse(QuantFormat.mxfp4A4.acceptsInputs(48))
    }

    func testInputQuantizerIdentity() {
        XCTAssertEqual(ActivationQuantizer.mxfp4.identity, "mxfp4")
        XCTAssertEqual(ActivationQuantizer.nvfp4(inputGlobalScale: 2).identity, "nvfp4 gs=40000000")
        XCTAssertNotEqual(ActivationQuantizer.nvfp4(inputGlobalScale: 2).identity,
                          ActivationQuantizer.nvfp4(inputGlobalScale: 3).identity)
    }
}
