import Foundation
import XCTest
import TensorCore
@testable import Export
@testable import Model
@testable import Formats

final class AutoRoundCheckpointTests: XCTestCase {
    /// Export read back: the forward pass on the read-back folder gives the in-memory fake-quantized
    /// model's logits. A rotate-half source reproduces them bit for bit (diff 0). A GGUF-layout
    /// (adjacent-pair Q/K) source is read back in rotate-half layout: the same arithmetic up to the
    /// order of the per-head dot-product sums, so the logits agree to float32 rounding of the sums
    /// (measured 1.05e-5 absolute on logits up to 22.4 in magnitude; bound 1e-6 relative).
    func testRoundTripLogitsMatchFakeQuantizedModel() throws {
        for layout in [RopeLayout.adjacentPairs, .rotateHalf] {
            let model = try ExportFixtures.model(layout: layout)
            let layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
            XCTAssertEqual(layers.count, 14)
            let expected = try ExportFixtures.logits(config: model.config,
                                                     source: try ExportFixtures.fakeQuantized(model, layers: layers), layout: layout)
            let out = ExportFixtures.temporaryURL("rt")
            defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
            try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)
            let back = try QuantizedCheckpointLoader.open(out.path)
            XCTAssertEqual(back.ropeLayout, .rotateHalf)
            XCTAssertEqual(back.linearLayers.map(\.name), model.linearLayers.map(\.name))
            let got = try ExportFixtures.logits(config: back.config, source: back.tensors, layout: back.ropeLayout)
            let diff = ExportFixtures.maxAbsDiff(expected, got)
            let scale = expected.data.reduce(0) { max($0, abs($1)) }
            if layout == .rotateHalf {
                XCTAssertEqual(diff, 0, "rotate-half source: read-back logits must be identical")
            } else {
                XCTAssertLessThan(diff, 1e-6 * scale, "adjacent-pair source, max |logit| \(scale)")
            }
            print("round trip \(layout): max abs logit diff \(diff), max |logit| \(scale)")
            // The logits are not trivially equal: plain RTN quantization moves them.
            let original = try ExportFixtures.logits(config: model.config, source: model.tensors, layout: layout)
            XCTAssertGreaterThan(ExportFixtures.maxAbsDiff(original, got), 1e-3)
        }
    }

    /// A replaced norm (block-wise SignRound's tuned norms) is what the folder holds, read back
    /// through the quantized checkpoint loader; the other norms are the model's.
    func testReplacedNormIsWritten() throws {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        let layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let name = "model.layers.0.post_attention_layernorm.weight"
        let norm = try model.tensors.floats(name).enumerated().map { Float($0.offset % 7) * 0.125 + $0.element }
        let out = ExportFixtures.temporaryURL("norm")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        try AutoRoundCheckpoint.write(model: model, layers: layers, tensors: [name: norm], to: out, overwrite: false)
        let back = try QuantizedCheckpointLoader.open(out.path)
        XCTAssertEqual(try back.tensors.floats(name), norm)
        let other = "model.layers.1.post_attention_layernorm.weight"
        XCTAssertEqual(try back.tensors.floats(other), try model.tensors.floats(other))
    }

    /// Reading the folder back with the wrong (GGUF) layout breaks the logits: the Q/K rows really
    /// were reordered.
    func testQKRowsAreReorderedToRotateHalf() throws {
        let model = try ExportFixtures.model(layout: .adjacentPairs)
        let layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let out = ExportFixtures.temporaryURL("rows")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)
        let back = try QuantizedCheckpointLoader.open(out.path)
        let expected = try ExportFixtures.logits(config: model.config,
                                                 source: try ExportFixtures.fakeQuantized(model, layers: layers), layout: .adjacentPairs)
        let wrong = try ExportFixtures.logits(config: back.config, source: back.tensors, layout: .adjacentPairs)
        XCTAssertGreaterThan(ExportFixtures.maxAbsDiff(expected, wrong), 1e-3)
        // Block 1's q_proj is bf16 (plain weight): HF row 1 is GGUF row 2 (head 0, i = 1, j = 0),
        // HF row 32 is GGUF row 1 (i = 0, j = 1).
        let src = try model.tensors.floats("model.layers.1.self_attn.q_proj.weight")
        let dst = try back.tensors.floats("model.layers.1.self_attn.q_proj.weight")
        let cols = 128
        func row(_ a: [Float], _ r: Int) -> [Float] { Array(a[(r * cols)..<((r + 1) * cols)]) }
        func bf16(_ a: [Float]) -> [Float] { a.map { HalfPrecision.bf16ToFloat(HalfPrecision.floatToBF16($0)) } }
        XCTAssertEqual(row(dst, 1), bf16(row(src, 2)))
        XCTAssertEqual(row(dst, 32), bf16(row(src, 1)))
        XCTAssertEqual(row(dst, 64 + 33), bf16(row(src, 64 + 3)))
    }

    func testConfigHasGlobalSchemeAndExtraConfigForEveryOtherLayer() throws {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        var formats = try ExportFixtures.formats()
        formats["model.layers.1.mlp.up_proj"] = nil  // kept in source precision
        let layers = try ExportFixtures.quantize(model, formats: formats)
        let out = ExportFixtures.temporaryURL("cfg")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)
        let data = try Data(contentsOf: out.appendingPathComponent("config.json"))
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(config["architectures"] as? [String], ["LlamaForCausalLM"])
        XCTAssertEqual(config["hidden_size"] as? Int, 128)
        let q = try XCTUnwrap(config["quantization_config"] as? [String: Any])
        // Parameters per format: fp8 = two down_proj (2 x 32768) + block 1 k_proj (8192) = 73728,
        // mxfp4 = two gate_proj = 65536, nvfp4 = 32768 (one up_proj left), int8 = 32768: fp8 is global.
        XCTAssertEqual(q["quant_method"] as? String, "auto-round")
        XCTAssertEqual(q["data_type"] as? String, "fp")
        XCTAssertEqual(q["bits"] as? Int, 8)
        XCTAssertEqual(q["group_size"] as? [Int], [128, 128])
        XCTAssertEqual(q["packing_format"] as? String, "auto_round:llm_compressor")
        let extra = try XCTUnwrap(q["extra_config"] as? [String: [String: Any]])
        XCTAssertEqual(extra.count, 14 - 3)  // every layer but the three fp8 ones
        XCTAssertNil(extra["model.layers.0.mlp.down_proj"])
        XCTAssertEqual(extra["model.layers.0.self_attn.k_proj"]?["bits"] as? Int, 3)
        XCTAssertEqual(extra["model.layers.0.self_attn.k_proj"]?["group_size"] as? Int, 32)
        XCTAssertEqual(extra["model.layers.0.self_attn.k_proj"]?["sym"] as? Bool, false)
        XCTAssertEqual(extra["model.layers.0.self_attn.k_proj"]?["data_type"] as? String, "int")
        XCTAssertEqual(extra["model.layers.0.mlp.gate_proj"]?["data_type"] as? String, "mx_fp")
        XCTAssertEqual(extra["model.layers.0.mlp.gate_proj"]?["group_size"] as? Int, 32)
        XCTAssertEqual(extra["model.layers.0.mlp.up_proj"]?["data_type"] as? String, "nv_fp")
        XCTAssertEqual(extra["model.layers.0.mlp.up_proj"]?["group_size"] as? Int, 16)
        XCTAssertEqual(extra["model.layers.1.self_attn.q_proj"]?["bits"] as? Int, 16)
        XCTAssertEqual(extra["model.layers.1.mlp.up_proj"]?["data_type"] as? String, "float")
        // The kept layer is stored as its source dtype (F32 here) and reads back exactly.
        let back = try QuantizedCheckpointLoader.open(out.path)
        XCTAssertEqual(try back.tensors.floats("model.layers.1.mlp.up_proj.weight"),
                       try model.tensors.floats("model.layers.1.mlp.up_proj.weight"))
    }

    func testNonEmptyOutputNeedsOverwrite() throws {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        let layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let out = ExportFixtures.temporaryURL("busy")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: out.appendingPathComponent("note.txt"))
        XCTAssertThrowsError(try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)) { e in
            XCTAssertEqual(e as? QuantizedCheckpointError, .outputNotEmpty(path: out.path))
            XCTAssertTrue(e.localizedDescription.contains("--overwrite"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["note.txt"])
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: true)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted(), ["config.json", "model.safetensors"])
    }

    /// A layer that fails to pack (scales that are not fp16 values) after other tensors were built:
    /// the output folder keeps its previous content and no partial folder is left beside it.
    func testFailureMidExportLeavesNothingHalfWritten() throws {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        var layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let last = layers.indices.last { layers[$0].format.family == .int }!
        layers[last].tensor.scales[0] = 1.0 / 3.0  // not representable in fp16
        let parent = ExportFixtures.temporaryURL("x").deletingLastPathComponent()
        let out = parent.appendingPathComponent("out")
        defer { try? FileManager.default.removeItem(at: parent) }
        XCTAssertThrowsError(try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)) { e in
            guard case .invalidPackedData? = e as? QuantError else { return XCTFail("unexpected \(e)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), [])
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: out.appendingPathComponent("old.txt"))
        XCTAssertThrowsError(try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: true))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["old.txt"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["out"])
    }

    /// Files beside the checkpoint (`quantize-stats.json`) are written inside the staged folder, so
    /// the folder appears with them or not at all: failing to write one leaves nothing at the final path.
    func testExtraFilesAreWrittenInsideTheStagedFolder() throws {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        let layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let parent = ExportFixtures.temporaryURL("x").deletingLastPathComponent()
        let out = parent.appendingPathComponent("out")
        defer { try? FileManager.default.removeItem(at: parent) }
        let stats = Data(#"{"layers": []}"#.utf8)
        XCTAssertThrowsError(try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false,
                                                           extraFiles: ["no-such-folder/quantize-stats.json": stats]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), [])
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false, extraFiles: ["quantize-stats.json": stats])
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("quantize-stats.json")), stats)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["out"])
    }

    func testLayersThatDoNotMatchTheModelAreRefused() throws {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        var layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let out = ExportFixtures.temporaryURL("bad")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        var renamed = layers
        renamed[0].module = "model.layers.9.self_attn.q_proj"
        XCTAssertThrowsError(try AutoRoundCheckpoint.write(model: model, layers: renamed, to: out, overwrite: false)) { e in
            XCTAssertEqual(e as? QuantizedCheckpointError, .unknownLayer(layer: "model.layers.9.self_attn.q_proj", model: "tiny-llama"))
        }
        layers.append(layers[1])
        XCTAssertThrowsError(try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)) { e in
            XCTAssertEqual(e as? QuantizedCheckpointError, .duplicateLayer(layer: layers[1].module))
        }
        var wrongShape = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let w = Matrix(rows: 64, cols: 128, data: [Float](repeating: 0.5, count: 64 * 128))
        wrongShape[0].tensor = try QuantFormat.int(bits: 4).quantizer.quantize(weights: w, name: "w")
        XCTAssertThrowsError(try AutoRoundCheckpoint.write(model: model, layers: wrongShape, to: out, overwrite: false)) { e in
            XCTAssertEqual(e as? QuantizedCheckpointError, .shapeMismatch(layer: wrongShape[0].module, expected: [128, 128], actual: [64, 128]))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
