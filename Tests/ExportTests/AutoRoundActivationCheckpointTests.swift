import Foundation
import XCTest
import TensorCore
@testable import Export
@testable import Model
@testable import Formats

/// Activation-quantized layers (W4A4, W8A8) in an auto-round checkpoint: the act_* keys and NVFP4's
/// `input_global_scale` are written, read back, and the model read from disk runs the same input
/// quantizers as the in-memory one.
final class AutoRoundActivationCheckpointTests: XCTestCase {
    func testActivationSchemesRoundTripAndRunFromDisk() throws {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        var layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let inputs: [String: ActivationQuantizer] = [
            "model.layers.0.mlp.gate_proj": .mxfp4, "model.layers.0.mlp.up_proj": .nvfp4(inputGlobalScale: 1.75),
            "model.layers.0.mlp.down_proj": .fp8, "model.layers.1.mlp.up_proj": .nvfp4(inputGlobalScale: 3.5),
        ]
        for i in layers.indices { layers[i].input = inputs[layers[i].module] }
        XCTAssertEqual(layers.first { $0.module == "model.layers.0.mlp.up_proj" }?.format, .nvfp4A4)

        let out = ExportFixtures.temporaryURL("act")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)

        // config.json: the act_* keys of each scheme; weight-only layers say act_bits 16.
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        let q = object["quantization_config"] as! [String: Any]
        let extra = q["extra_config"] as! [String: [String: Any]]
        func scheme(_ module: String) -> [String: Any] { extra[module] ?? q }
        XCTAssertEqual(scheme("model.layers.0.mlp.up_proj")["act_data_type"] as? String, "nv_fp4_with_static_gs")
        XCTAssertEqual(scheme("model.layers.0.mlp.up_proj")["act_group_size"] as? Int, 16)
        XCTAssertEqual(scheme("model.layers.0.mlp.gate_proj")["act_data_type"] as? String, "mx_fp")
        XCTAssertEqual(scheme("model.layers.0.mlp.down_proj")["act_group_size"] as? Int, 128)
        XCTAssertEqual(scheme("model.layers.0.mlp.down_proj")["act_bits"] as? Int, 8)
        XCTAssertEqual(scheme("model.layers.0.self_attn.k_proj")["act_bits"] as? Int, 16)
        XCTAssertEqual(scheme("model.layers.1.mlp.gate_proj")["act_bits"] as? Int, 16)

        let back = try QuantizedCheckpointLoader.open(out.path)
        let source = try XCTUnwrap(back.tensors as? QuantizedCheckpointSource)
        XCTAssertEqual(source.formats["model.layers.1.mlp.up_proj"], .nvfp4A4)
        XCTAssertEqual(source.formats["model.layers.1.mlp.gate_proj"], .mxfp4)
        var expected: [LayerID: ActivationQuantizer] = [:]
        for (module, a) in inputs {
            let parts = module.split(separator: ".")
            let kind = LinearKind.allCases.first { module.hasSuffix($0.modulePath) }!
            expected[LayerID(block: Int(parts[2])!, kind: kind)] = a
        }
        XCTAssertEqual(source.inputQuantizers, expected)
        // The global scale is a tensor of the layer, not a tensor of the model.
        XCTAssertFalse(back.tensors.tensorInfos.contains { $0.name.hasSuffix("input_global_scale") })

        // The model read from disk runs the input quantizers: its logits are the in-memory model's
        // (fake-quantized weights plus the same quantizers), and differ from weights-only logits.
        var memory = try LlamaModel(config: model.config, source: try ExportFixtures.fakeQuantized(model, layers: layers),
                                    ropeLayout: .rotateHalf)
        let weightsOnly = try memory.logits(sequences: [ExportFixtures.tokens])
        memory.inputQuantizers = expected
        let want = try memory.logits(sequences: [ExportFixtures.tokens])
        let got = try EvaluationInputs.model(back).logits(sequences: [ExportFixtures.tokens])
        XCTAssertEqual(got.data, want.data)
        XCTAssertGreaterThan(ExportFixtures.maxAbsDiff(got, weightsOnly), 1e-4)
    }

    func testLayoutsWithoutActivationsRefuseThePlan() throws {
        let formats = [LayerID(block: 1, kind: .up): QuantFormat.nvfp4A4, LayerID(block: 0, kind: .q): .mxfp4A4]
        for layout in [CheckpointFormat.fake, .gguf] {
            XCTAssertThrowsError(try CheckpointExport.check(layout, formats: formats, plan: "p.json")) { error in
                if layout == .fake {
                    XCTAssertEqual(error as? ExportError, .activationsNotStorable(layout: "fake", layer: "model.layers.0.self_attn.q_proj", layers: 2))
                } else {
                    XCTAssertNotNil(error as? GGUFExportError)
                }
            }
        }
        XCTAssertNoThrow(try CheckpointExport.check(.autoRound, formats: formats, plan: "p.json"))
    }

    func testUnknownActivationKeysAreRefused() {
        let global = AutoRoundScheme(.nvfp4A4)
        XCTAssertEqual(global.activation, .nvfp4)
        XCTAssertThrowsError(try AutoRoundScheme(json: ["act_bits": 4, "act_data_type": "int"], defaults: global, layer: "m")) { error in
            XCTAssertTrue(error.localizedDescription.contains("act_data_type int"), error.localizedDescription)
        }
        XCTAssertThrowsError(try AutoRoundScheme(json: ["act_bits": 4, "act_data_type": "mx_fp_rceil"], defaults: global, layer: "m"))
        XCTAssertThrowsError(try AutoRoundScheme(json: ["act_bits": 8, "act_data_type": "fp", "act_dynamic": false], defaults: global, layer: "m"))
        XCTAssertNil(try AutoRoundScheme(json: ["act_bits": 16], defaults: global, layer: "m").activation)
        XCTAssertEqual(try AutoRoundScheme(json: [:], defaults: global, layer: "m").format(layer: "m"), .nvfp4A4)
    }
}
