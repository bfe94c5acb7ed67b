import Foundation
import XCTest
@testable import Export
@testable import Model
@testable import Formats

/// Reading back folders whose config and tensors disagree gives typed errors naming the tensor.
final class QuantizedCheckpointReaderErrorTests: XCTestCase {
    func exportTiny() throws -> URL {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        let layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let out = ExportFixtures.temporaryURL("reader")
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)
        addTeardownBlock { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        return out
    }

    func editConfig(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var q = try XCTUnwrap(object["quantization_config"] as? [String: Any])
        edit(&q)
        object["quantization_config"] = q
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// extra_config says int2 for a layer stored as int3 (asymmetric, group 32): the stored qweight
    /// (12 x 64 words) has the wrong element count for int2 (8 x 64), so reading fails naming it.
    func testSchemeThatDisagreesWithStoredTensorsIsNamed() throws {
        let folder = try exportTiny()
        let module = "model.layers.0.self_attn.k_proj"
        try editConfig(folder) { q in
            var extra = q["extra_config"] as! [String: Any]
            extra[module] = ["bits": 2, "group_size": 32, "sym": false, "data_type": "int"]
            q["extra_config"] = extra
        }
        let back = try QuantizedCheckpointLoader.open(folder.path)
        XCTAssertThrowsError(try back.tensors.floats(module + ".weight")) { e in
            guard case let .badTensor(_, tensor, expected, _)? = e as? QuantizedCheckpointError else { return XCTFail("\(e)") }
            XCTAssertEqual(tensor, module + ".qweight")
            XCTAssertTrue(expected.hasPrefix("I32 with 512 elements"), expected)  // ceil(128 / 32) x 2 rows x 64 outputs
        }
    }

    func testUnknownSchemeIsRefusedNamingTheLayer() throws {
        let folder = try exportTiny()
        try editConfig(folder) { q in
            var extra = q["extra_config"] as! [String: Any]
            extra["model.layers.1.mlp.gate_proj"] = ["bits": 5, "group_size": 32, "sym": true, "data_type": "mx_fp"]
            q["extra_config"] = extra
        }
        XCTAssertThrowsError(try QuantizedCheckpointLoader.open(folder.path)) { e in
            guard case let .badConfig(_, reason)? = e as? QuantizedCheckpointError else { return XCTFail("\(e)") }
            XCTAssertTrue(reason.contains("model.layers.1.mlp.gate_proj"), reason)
        }
    }

    func testMissingTensorIsNamed() throws {
        let folder = try exportTiny()
        let module = "model.layers.1.mlp.up_proj"
        try editConfig(folder) { q in
            var extra = q["extra_config"] as! [String: Any]
            extra[module] = ["bits": 4, "group_size": 128, "sym": true, "data_type": "int"]  // stored as nvfp4
            q["extra_config"] = extra
        }
        XCTAssertThrowsError(try QuantizedCheckpointLoader.open(folder.path)) { e in
            XCTAssertEqual(e as? QuantizedCheckpointError, .missingTensor(folder: folder.path, tensor: module + ".qweight"))
        }
    }

    /// A folder that is not auto-round goes to the ordinary loader, which finds no plain q_proj
    /// weight in packed tensors and says so.
    func testOtherFoldersGoToTheModelLoader() throws {
        let folder = try exportTiny()
        try editConfig(folder) { q in q["quant_method"] = "gptq" }
        XCTAssertFalse(QuantizedCheckpointSource.isAutoRound(folder: folder.path))
        XCTAssertThrowsError(try QuantizedCheckpointLoader.open(folder.path)) { e in
            XCTAssertEqual(e as? ModelFileError, .tensorNotFound(path: folder.path, tensor: "model.layers.0.self_attn.q_proj.weight"))
        }
    }
}
