import Foundation
import TensorCore
import TestSupport
@testable import Export
@testable import Model
@testable import Formats
import XCTest

/// Fake-quantized checkpoints (HF layout, atomic, overwrite rules) on a tiny model.
final class FakeCheckpointTests: XCTestCase {
    func testCheckpointFromGGUFLayoutReloadsAsTheHuggingFaceTensors() throws {
        let hf = TinyModel.tensors(seed: 3)
        let gguf = try LlamaModel(config: TinyModel.config, source: TinyModel.ggufLayout(hf), ropeLayout: .adjacentPairs)
        let out = TinyModel.temporaryFolder("layout")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try CheckpointWriter.writeFake(model: gguf, ropeLayout: .adjacentPairs, replacements: [:], to: out,
                                       overwrite: false, dtype: .f32, extraFiles: ["note.txt": Data("x".utf8)])
        let opened = try ModelLoader.open(out)
        XCTAssertEqual(opened.config, TinyModel.config)
        XCTAssertEqual(opened.ropeLayout, .rotateHalf)
        for info in hf.tensorInfos {
            XCTAssertEqual(try opened.tensors.floats(info.name), try hf.floats(info.name), info.name)
        }
        let reloaded = try LlamaModel(config: opened.config, source: opened.tensors, ropeLayout: opened.ropeLayout)
        let tokens = [TinyModel.tokens(12, seed: 5)]
        let a = try reloaded.logits(sequences: tokens), b = try gguf.logits(sequences: tokens)
        for i in a.data.indices { XCTAssertEqual(a.data[i], b.data[i], accuracy: 1e-4) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("note.txt")))
    }

    func testNonEmptyOutputNeedsOverwrite() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(), ropeLayout: .rotateHalf)
        let out = TinyModel.temporaryFolder("overwrite")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("old.txt")))
        XCTAssertThrowsError(try CheckpointWriter.writeFake(model: model, ropeLayout: .rotateHalf, replacements: [:],
                                                            to: out, overwrite: false)) {
            XCTAssertEqual($0 as? ExportError, .outputExists(path: out))
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("--overwrite") ?? false)
        }
        try CheckpointWriter.writeFake(model: model, ropeLayout: .rotateHalf, replacements: [:], to: out, overwrite: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(files, ["config.json", "model.safetensors"])
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent)
        XCTAssertFalse(siblings.contains { $0.hasPrefix(".\((out as NSString).lastPathComponent).tmp") })
    }

    func testPlanNamesAreResolvedOrRejected() throws {
        XCTAssertThrowsError(try PlanFormats.load("/nonexistent/plan.json")) {
            guard case .unreadablePlan(let file, _)? = $0 as? PlanExportError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, "/nonexistent/plan.json")
        }
        XCTAssertEqual(CheckpointWriter.rotateHalfRows([0, 1, 2, 3, 4, 5, 6, 7], heads: 2, headDim: 4),
                       [0, 2, 1, 3, 4, 6, 5, 7])
    }
}

/// Replaced non-linear tensors (tuned norms) in both layouts, and the checks before writing.
final class TensorReplacementTests: XCTestCase {
    func testReplacedNormIsWrittenAndBadOnesAreRefused() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(), ropeLayout: .rotateHalf)
        let name = "model.layers.1.input_layernorm.weight"
        let width = TinyModel.config.hiddenSize
        let norm = (0..<width).map { Float($0) * 0.25 - 1 }
        let out = TinyModel.temporaryFolder("norms")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try CheckpointWriter.writeFake(model: model, ropeLayout: .rotateHalf, replacements: [:], tensors: [name: norm],
                                       to: out, overwrite: false, dtype: .f32)
        let opened = try ModelLoader.open(out)
        XCTAssertEqual(try opened.tensors.floats(name), norm)
        XCTAssertEqual(try opened.tensors.floats("model.layers.0.input_layernorm.weight"),
                       try model.source.floats("model.layers.0.input_layernorm.weight"))
        let infos = model.source.tensorInfos
        XCTAssertThrowsError(try TensorReplacements.check([name: [1, 2]], infos: infos)) {
            XCTAssertEqual($0 as? QuantizedCheckpointError,
                           .badReplacement(tensor: name, expected: "\(width) values (shape [\(width)])", actual: "2 values"))
        }
        XCTAssertThrowsError(try TensorReplacements.check(["model.layers.9.input_layernorm.weight": norm], infos: infos)) {
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("model.layers.9.input_layernorm.weight") ?? false)
        }
    }
}
