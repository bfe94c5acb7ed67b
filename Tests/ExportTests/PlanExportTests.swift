import Foundation
import XCTest
@testable import Export
@testable import Model
@testable import Formats
@testable import Search
@testable import Sensitivity

final class PlanExportTests: XCTestCase {
    func tinyPlan() throws -> (ModelDescription, QuantizationPlan) {
        let model = try ExportFixtures.model(layout: .adjacentPairs, kind: .gguf)
        return (model, ExportFixtures.plan(model, formats: try ExportFixtures.formats()))
    }

    func testAutoRoundLayerConfigUsesAutoRoundKeys() throws {
        let (model, plan) = try tinyPlan()
        let text = try PlanExport.render(plan, target: .autoround, model: model, file: "p.json")
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Any]])
        XCTAssertEqual(Set(config.keys), Set(model.linearLayers.map(\.name)))
        func entry(_ m: String) -> NSDictionary { (config[m] ?? [:]) as NSDictionary }
        XCTAssertEqual(entry("model.layers.0.self_attn.q_proj"),
                       ["bits": 4, "group_size": 128, "sym": true, "data_type": "int"] as NSDictionary)
        XCTAssertEqual(entry("model.layers.0.self_attn.k_proj"),
                       ["bits": 3, "group_size": 32, "sym": false, "data_type": "int"] as NSDictionary)
        XCTAssertEqual(entry("model.layers.0.mlp.gate_proj"),
                       ["bits": 4, "group_size": 32, "sym": true, "data_type": "mx_fp"] as NSDictionary)
        XCTAssertEqual(entry("model.layers.0.mlp.up_proj"),
                       ["bits": 4, "group_size": 16, "sym": true, "data_type": "nv_fp"] as NSDictionary)
        XCTAssertEqual(entry("model.layers.0.mlp.down_proj"),
                       ["bits": 8, "group_size": [128, 128], "sym": true, "data_type": "fp"] as NSDictionary)
        XCTAssertEqual(entry("model.layers.1.self_attn.q_proj"), ["bits": 16, "data_type": "float"] as NSDictionary)
        // Every scheme maps back to its format.
        for l in try PlanExportLayers.resolve(plan, model: model, file: "p.json") {
            let scheme = try AutoRoundScheme(json: config[l.module]!, defaults: nil, layer: l.module)
            XCTAssertEqual(try scheme.format(layer: l.module), l.format)
        }
    }

    /// The recipe parses as YAML (python3 + PyYAML when present), every plan layer appears exactly
    /// once (in one group's targets or in ignore), targets are real module names, and each group's
    /// arguments match its format.
    func testLLMCompressorRecipeParsesAndCoversEveryLayerOnce() throws {
        let (model, plan) = try tinyPlan()
        let text = try PlanExport.render(plan, target: .llmcompressor, model: model, file: "p.json")
        XCTAssertTrue(text.contains("mixed-precision"))
        let script = """
        import json, sys, yaml
        print(json.dumps(yaml.safe_load(open(sys.argv[1]))))
        """
        let file = ExportFixtures.temporaryURL("recipe.yaml")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Data(text.utf8).write(to: file)
        guard let json = try ExportFixtures.python(script, [file.path]) else {
            throw XCTSkip("python3 with PyYAML is not installed here; the YAML was not parsed")
        }
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let modifier = try XCTUnwrap(((root["quant_stage"] as? [String: Any])?["quant_modifiers"] as? [String: Any])?["QuantizationModifier"] as? [String: Any])
        let groups = try XCTUnwrap(modifier["config_groups"] as? [String: [String: Any]])
        let ignore = try XCTUnwrap(modifier["ignore"] as? [String])
        // 9 distinct formats (int4/g128, int3a/g32, int2/g64, int8/g128, mxfp4, nvfp4, fp8, int4a/g32, bf16);
        // bf16 is ignored, so 8 groups.
        XCTAssertEqual(groups.keys.sorted(), (0..<8).map { "group_\($0)" })
        var covered = ignore
        for (_, g) in groups { covered += try XCTUnwrap(g["targets"] as? [String]) }
        XCTAssertEqual(covered.count, model.linearLayers.count)
        XCTAssertEqual(Set(covered), Set(model.linearLayers.map(\.name)))
        XCTAssertEqual(ignore, ["model.layers.1.self_attn.q_proj"])
        func group(containing module: String) -> [String: Any]? {
            groups.values.first { ($0["targets"] as? [String])?.contains(module) == true }
        }
        let int3 = try XCTUnwrap(group(containing: "model.layers.0.self_attn.k_proj")?["weights"] as? NSDictionary)
        XCTAssertEqual(int3, ["num_bits": 3, "type": "int", "symmetric": false, "strategy": "group", "group_size": 32,
                              "dynamic": false] as NSDictionary)
        let fp8 = try XCTUnwrap(group(containing: "model.layers.0.mlp.down_proj"))
        XCTAssertEqual(fp8["weights"] as? NSDictionary, ["num_bits": 8, "type": "float", "symmetric": true, "strategy": "block",
                                                          "block_structure": [128, 128], "dynamic": false] as NSDictionary)
        XCTAssertEqual(fp8["targets"] as? [String], ["model.layers.0.mlp.down_proj", "model.layers.1.self_attn.k_proj",
                                                      "model.layers.1.mlp.down_proj"])
        let nv = try XCTUnwrap(group(containing: "model.layers.0.mlp.up_proj"))
        XCTAssertEqual((nv["weights"] as? [String: Any])?["strategy"] as? String, "tensor_group")
        XCTAssertEqual(nv["format"] as? String, "nvfp4-pack-quantized")
        XCTAssertEqual(group(containing: "model.layers.0.mlp.gate_proj")?["format"] as? String, "mxfp4-pack-quantized")
    }

    func testNormalisedPlanJSONHasCanonicalNamesInModelOrder() throws {
        let (model, plan) = try tinyPlan()
        var shuffled = plan
        shuffled.layers.reverse()
        shuffled.layers[0].format = try QuantFormat(parsing: "W4A16")  // an alias of int4/g128, given to the last layer (block 1 down)
        let text = try PlanExport.render(shuffled, target: .json, model: model, file: "p.json")
        let back = try JSONDecoder().decode(QuantizationPlan.self, from: Data(text.utf8))
        XCTAssertEqual(back.layers.map(\.name), model.linearLayers.map(\.weightName))
        XCTAssertEqual(back.layers.last?.format.name, "int4/g128")
        XCTAssertEqual(back.layers.first?.format.name, "int4/g128")
        XCTAssertEqual(back.layers[1].format.name, "int3a/g32")
    }

    func testPlanThatDoesNotMatchTheModelIsRefusedNamingTheFirstMismatch() throws {
        let (model, plan) = try tinyPlan()
        var unknown = plan
        unknown.layers[3].name = "model.layers.7.self_attn.o_proj.weight"
        unknown.layers[5].name = "model.layers.8.mlp.up_proj.weight"
        XCTAssertThrowsError(try PlanExport.render(unknown, target: .autoround, model: model, file: "p.json")) { e in
            XCTAssertEqual(e as? PlanExportError, .unknownLayer(file: "p.json", layer: "model.layers.7.self_attn.o_proj.weight", model: "tiny-llama"))
            XCTAssertTrue(e.localizedDescription.contains("model.layers.7.self_attn.o_proj.weight"))
        }
        var shape = plan
        shape.layers[2].parameters += 1
        XCTAssertThrowsError(try PlanExport.render(shape, target: .llamacpp, model: model, file: "p.json")) { e in
            XCTAssertEqual(e as? PlanExportError, .shapeMismatch(file: "p.json", layer: plan.layers[2].name, expected: 8192, actual: 8193))
        }
        var twice = plan
        twice.layers[4] = twice.layers[1]
        XCTAssertThrowsError(try PlanExport.render(twice, target: .json, model: model, file: "p.json")) { e in
            XCTAssertEqual(e as? PlanExportError, .duplicateLayer(file: "p.json", layer: plan.layers[1].name))
        }
        // A format that is no canonical name cannot be in a plan value; the plan file is refused when read.
        let url = ExportFixtures.temporaryURL("p.json")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: try JSONEncoder().encode(plan)) as? [String: Any])
        var layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        layers[0]["format"] = "int5/g7"
        json["layers"] = layers
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        XCTAssertThrowsError(try PlanExportLayers.readPlan(url)) { e in
            XCTAssertEqual(e as? PlanExportError, .unknownFormat(file: url.path, layer: plan.layers[0].name, format: "int5/g7"))
        }
    }

    /// On the default model (skipped when the cache is absent): the llama.cpp file names exactly the
    /// model's GGUF tensors for its 210 linear layers.
    func testLlamaCppNamesAreTheDefaultModelsTensors() throws {
        guard let path = Assets.cachedPath(.defaultModel) else { throw XCTSkip("default model not cached") }
        let model = try ModelLoader.open(path)
        let formats = Dictionary(uniqueKeysWithValues: model.linearLayers.enumerated().map {
            ($1.name, QuantFormat.defaultCandidates[$0 % QuantFormat.defaultCandidates.count])
        })
        let plan = ExportFixtures.plan(model, formats: formats)
        let text = try PlanExport.render(plan, target: .llamacpp, model: model, file: "p.json")
        let lines = text.split(separator: "\n").map { String($0.split(separator: "=")[0]) }
        let ggufNames = Set(try XCTUnwrap(model.gguf).files[0].tensors.map(\.name))
        XCTAssertEqual(lines.count, 210)
        XCTAssertTrue(lines.allSatisfy(ggufNames.contains))
        XCTAssertEqual(Set(lines).count, 210)
    }
}
