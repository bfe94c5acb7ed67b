import Foundation
import XCTest
import TensorCore
import TestSupport
@testable import Export
@testable import Model
@testable import Formats

/// Int layers whose group does not divide their inputs are written in a group auto-round's CPU
/// kernels accept (`in_features % group_size == 0`, auto_round/inference/backend.py
/// `exllamav2_feature_checker`), with the same dequantized weights.
final class AutoRoundCheckpointGroupsTests: XCTestCase {
    func quantized(_ format: QuantFormat, rows: Int = 8, cols: Int, seed: UInt64 = 3) throws -> QuantizedTensor {
        var rng = SplitMix64(seed: seed)
        let w = Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in Float.random(in: -1...1, using: &rng) })
        return try format.quantizer.quantize(weights: w, name: "w")
    }

    func testGroupChoice() throws {
        // 576 inputs (SmolLM2's hidden size): g128 -> g64; g64 and g32 already divide; 1536 keeps g128.
        XCTAssertEqual(AutoRoundCheckpointGroups.loadableGroup(try quantized(.int(bits: 2, groupSize: 128), cols: 576)), 64)
        XCTAssertEqual(AutoRoundCheckpointGroups.loadableGroup(try quantized(.int(bits: 2, groupSize: 64), cols: 576)), 64)
        XCTAssertEqual(AutoRoundCheckpointGroups.loadableGroup(try quantized(.int(bits: 3, groupSize: 128), cols: 1536)), 128)
        // 160 inputs: gcd with 128 is 32; 48 inputs: no supported group divides them.
        XCTAssertEqual(AutoRoundCheckpointGroups.loadableGroup(try quantized(.int(bits: 4, groupSize: 128), cols: 160)), 32)
        XCTAssertNil(AutoRoundCheckpointGroups.loadableGroup(try quantized(.int(bits: 4, groupSize: 32), cols: 48)))
        // Not an int format: nothing to regroup.
        XCTAssertNil(AutoRoundCheckpointGroups.loadableGroup(try quantized(.nvfp4, cols: 576)))
    }

    func testRegroupedTensorHasTheSameWeightsAndRepeatedScales() throws {
        for format in [try QuantFormat.int(bits: 2, groupSize: 128), try .int(bits: 3, groupSize: 128, symmetric: false),
                       try .int(bits: 4, groupSize: 64, symmetric: false)] {
            let q = try quantized(format, cols: 160)
            let r = try AutoRoundCheckpointGroups.loadable(q)
            XCTAssertEqual(r.format, try QuantFormat.int(bits: format.bits, groupSize: 32, symmetric: format.symmetric))
            XCTAssertEqual(r.codes, q.codes)
            XCTAssertEqual(r.scaleCols, 5)
            guard case let .group(g) = format.granularity else { return XCTFail() }
            let oldGroups = (160 + g - 1) / g
            for row in 0..<q.rows {
                for j in 0..<5 {
                    XCTAssertEqual(r.scales[row * 5 + j], q.scales[row * oldGroups + j * 32 / g])
                    if let z = q.zeroPoints { XCTAssertEqual(r.zeroPoints?[row * 5 + j], z[row * oldGroups + j * 32 / g]) }
                }
            }
            XCTAssertEqual(try r.format.quantizer.dequantize(r).data, try q.format.quantizer.dequantize(q).data, format.name)
        }
        let kept = try quantized(.int(bits: 2, groupSize: 128), cols: 256)
        XCTAssertEqual(try AutoRoundCheckpointGroups.loadable(kept), kept)
    }

    /// A model with 192-wide inputs: q_proj int4/g128 is written as g64 (extra_config says so), the
    /// folder reads back to the fake-quantized model's logits exactly.
    func testCheckpointOfNonDividingGroupLoadsInGroup64WithSameLogits() throws {
        let config = TinyLlama.config(hidden: 192, layers: 1, heads: 3, kvHeads: 1, headDim: 64, ffn: 256,
                                      vocab: 96, maxPositions: 128)
        let model = try ModelDescription(path: "tiny-192", kind: .huggingFace, config: config,
                                         tensors: TinyLlama.tensors(config, seed: 11), ropeLayout: .rotateHalf)
        let formats: [String: QuantFormat] = [
            "model.layers.0.self_attn.q_proj": try .int(bits: 4, groupSize: 128),
            "model.layers.0.mlp.down_proj": try .int(bits: 2, groupSize: 128),
            "model.layers.0.mlp.up_proj": try .int(bits: 3, groupSize: 128, symmetric: false),
        ]
        let layers = try ExportFixtures.quantize(model, formats: formats)
        let expected = try ExportFixtures.logits(config: config, source: try ExportFixtures.fakeQuantized(model, layers: layers),
                                                 layout: .rotateHalf)
        let out = ExportFixtures.temporaryURL("groups")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)
        let data = try Data(contentsOf: out.appendingPathComponent("config.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let q = try XCTUnwrap(root["quantization_config"] as? [String: Any])
        let extra = try XCTUnwrap(q["extra_config"] as? [String: [String: Any]])
        // down_proj (256 inputs) keeps g128 and is the global scheme; the 192-wide layers say g64.
        XCTAssertEqual(q["group_size"] as? Int, 128)
        XCTAssertEqual(q["bits"] as? Int, 2)
        XCTAssertEqual(extra["model.layers.0.self_attn.q_proj"]?["group_size"] as? Int, 64)
        XCTAssertEqual(extra["model.layers.0.mlp.up_proj"]?["group_size"] as? Int, 64)
        XCTAssertEqual(extra["model.layers.0.mlp.up_proj"]?["sym"] as? Bool, false)
        let file = try SafetensorsFile(path: out.appendingPathComponent("model.safetensors").path)
        XCTAssertEqual(file.info("model.layers.0.self_attn.q_proj.scales")?.shape, [3, 192])
        XCTAssertEqual(file.info("model.layers.0.mlp.down_proj.scales")?.shape, [2, 192])
        let back = try QuantizedCheckpointLoader.open(out.path)
        let got = try ExportFixtures.logits(config: back.config, source: back.tensors, layout: back.ropeLayout)
        XCTAssertEqual(ExportFixtures.maxAbsDiff(expected, got), 0)
    }
}
