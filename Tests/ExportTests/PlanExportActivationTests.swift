import Foundation
import XCTest
@testable import Export
@testable import Model
@testable import Formats

/// Plans with activation-quantized layers in the other tools' files: llm-compressor's
/// `input_activations` and auto-round's act_* keys.
final class PlanExportActivationTests: XCTestCase {
    func layer(_ block: Int, _ kind: LinearKind, _ format: QuantFormat) -> PlanExportLayer {
        let name = "model.layers.\(block).\(kind.modulePath)"
        let linear = LinearLayer(name: name, block: block, kind: kind, outFeatures: 576, inFeatures: 1536, storage: .bf16)
        return PlanExportLayer(module: name, weightName: name + ".weight", layer: linear, format: format)
    }

    func testLLMCompressorRecipeCarriesInputActivations() {
        let yaml = PlanExportLLMCompressor.recipe([layer(0, .down, .nvfp4A4), layer(1, .down, .nvfp4), layer(2, .down, .fp8A8),
                                                   layer(3, .down, .mxfp4A4)], source: "m")
        XCTAssertTrue(yaml.contains("""
                    group_0:
                      format: nvfp4-pack-quantized
                      targets:
                      - "model.layers.0.mlp.down_proj"
                      weights:
                        dynamic: false
                        group_size: 16
                        num_bits: 4
                        strategy: tensor_group
                        symmetric: true
                        type: float
                      input_activations:
                        dynamic: local
                        group_size: 16
                        num_bits: 4
                        strategy: tensor_group
                        symmetric: true
                        type: float
                    group_1:
                      format: nvfp4-pack-quantized
                      targets:
                      - "model.layers.1.mlp.down_proj"
                      weights:
            """), yaml)
        XCTAssertTrue(yaml.contains("""
                      input_activations:
                        dynamic: true
                        group_size: 128
                        num_bits: 8
                        strategy: group
            """), yaml)
        XCTAssertTrue(yaml.contains("""
                      input_activations:
                        dynamic: true
                        group_size: 32
                        num_bits: 4
                        strategy: group
            """), yaml)
        XCTAssertEqual(yaml.components(separatedBy: "input_activations:").count - 1, 3)
    }

    func testAutoRoundLayerConfigSpellsOutActivations() throws {
        let text = try PlanExportAutoRound.layerConfig([layer(0, .down, .nvfp4A4), layer(1, .down, "int4/g128")])
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: [String: Any]]
        let a = object["model.layers.0.mlp.down_proj"]!
        XCTAssertEqual(a["act_bits"] as? Int, 4)
        XCTAssertEqual(a["act_data_type"] as? String, "nv_fp4_with_static_gs")
        XCTAssertEqual(a["act_group_size"] as? Int, 16)
        XCTAssertEqual(a["act_dynamic"] as? Bool, true)
        XCTAssertEqual(object["model.layers.1.mlp.down_proj"]!["act_bits"] as? Int, 16)
        // A weight-only plan keeps auto-round's four keys.
        let plain = try PlanExportAutoRound.layerConfig([layer(1, .down, "int4/g128")])
        XCTAssertFalse(plain.contains("act_"))
    }
}
