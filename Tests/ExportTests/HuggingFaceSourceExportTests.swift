import Foundation
import XCTest
import TensorCore
@testable import Export
@testable import Model
@testable import Formats

/// Export of a Hugging Face folder: its config.json keys and tokenizer files carry over.
final class HuggingFaceSourceExportTests: XCTestCase {
    func testConfigKeysAndTokenizerFilesCarryOverAndLogitsMatch() throws {
        let base = ExportFixtures.temporaryURL("hf")
        let source = base.appendingPathComponent("source"), out = base.appendingPathComponent("out")
        defer { try? FileManager.default.removeItem(at: base.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let memory = ExportFixtures.tensors()
        let tensors = try memory.tensorInfos.map {
            SafetensorsTensor(name: $0.name, shape: $0.shape, floats: try memory.floats($0.name), as: .bf16)
        }
        try SafetensorsWriter.write(tensors, to: source.appendingPathComponent("model.safetensors").path)
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(ExportFixtures.config)) as? [String: Any])
        config["custom_field"] = "kept"
        try JSONSerialization.data(withJSONObject: config).write(to: source.appendingPathComponent("config.json"))
        try Data(#"{"model": {"type": "BPE"}}"#.utf8).write(to: source.appendingPathComponent("tokenizer.json"))
        let model = try ModelLoader.open(source.path)
        let layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)

        let written = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any])
        XCTAssertEqual(written["custom_field"] as? String, "kept")
        XCTAssertNotNil(written["quantization_config"])
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("tokenizer.json")),
                       try Data(contentsOf: source.appendingPathComponent("tokenizer.json")))
        let back = try QuantizedCheckpointLoader.open(out.path)
        // Unquantized tensors keep the source's BF16 storage.
        XCTAssertEqual(back.tensorInfo("model.embed_tokens.weight")?.storage, .bf16)
        let expected = try ExportFixtures.logits(config: model.config, source: try ExportFixtures.fakeQuantized(model, layers: layers),
                                                 layout: .rotateHalf)
        let got = try ExportFixtures.logits(config: back.config, source: back.tensors, layout: .rotateHalf)
        XCTAssertEqual(ExportFixtures.maxAbsDiff(expected, got), 0)
    }
}
