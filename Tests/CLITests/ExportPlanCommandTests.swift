import Foundation
import XCTest

/// `autoscheme export-plan`, run end to end as a process on the default model.
final class ExportPlanCommandTests: XCTestCase {

    func testEveryTargetOnDefaultModel() throws {
        let model = try CLI.cachedModel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-plan-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json")
        try Data(CLI.smolLMPlanJSON(model: model, formats: ["int4/g128", "int2/g128", "mxfp4", "nvfp4", "fp8", "bf16", "int8/g128", "int3/g128"]).utf8).write(to: plan)
        for target in ["autoround", "llmcompressor", "llamacpp", "json"] {
            let out = dir.appendingPathComponent("out.\(target)")
            // The plan mixes formats auto-round and llm-compressor cannot load: written as asked.
            let r = try CLI.run(["export-plan", plan.path, "--to", target, "-o", out.path, "--approximate"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("210 layers"), r.stdout)
            let text = try String(contentsOf: out, encoding: .utf8)
            switch target {
            case "llamacpp":
                // One line per layer, no note line; the nearest ggml type the row holds (int4 on 576 inputs: q5_0).
                XCTAssertEqual(text.split(separator: "\n").count, 210)
                XCTAssertTrue(text.hasPrefix("blk.0.attn_q.weight=q5_0\n"))
                XCTAssertTrue(text.contains("\nblk.29.ffn_down.weight=q2_K\n"))  // layer 209: 209 % 8 = 1, int2
            case "autoround":
                let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                XCTAssertEqual(json.count, 210)
            default:
                XCTAssertFalse(text.isEmpty)
            }
        }
    }

    func testPlanNamingAnUnknownLayerFailsNamingIt() throws {
        let model = try CLI.cachedModel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-plan-bad-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json")
        try Data(CLI.smolLMPlanJSON(model: model, formats: ["int4/g128"], firstName: "model.layers.0.self_attn.qq_proj.weight").utf8).write(to: plan)
        let out = dir.appendingPathComponent("out.yaml")
        let r = try CLI.run(["export-plan", plan.path, "--to", "llmcompressor", "-o", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("model.layers.0.self_attn.qq_proj.weight"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// Without --approximate, a plan of formats the runtime cannot load is refused by name and nothing is written.
    func testRefusesFormatsTheRuntimeCannotLoad() throws {
        let model = try CLI.cachedModel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-plan-refuse-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json")
        try Data(CLI.smolLMPlanJSON(model: model, formats: ["int4/g128", "nvfp4"]).utf8).write(to: plan)
        let out = dir.appendingPathComponent("layer_config.json")
        let r = try CLI.run(["export-plan", plan.path, "--to", "autoround", "-o", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("has 105 layers autoround cannot load: model.layers.0.self_attn.k_proj (nvfp4)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--approximate"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let l = try CLI.run(["export-plan", plan.path, "--to", "llmcompressor", "-o", out.path])
        XCTAssertEqual(l.status, 1)
        XCTAssertTrue(l.stderr.contains("int4/g64 loads"), l.stderr)
        let a = try CLI.run(["export-plan", plan.path, "--to", "autoround", "-o", out.path, "--approximate"])
        XCTAssertEqual(a.status, 0, a.stderr)
        try FileManager.default.removeItem(at: out)
        let g = try CLI.run(["export-plan", plan.path, "--to", "llamacpp", "-o", out.path])
        XCTAssertEqual(g.status, 1)
        XCTAssertEqual(g.stderr, "autoscheme: Plan '\(plan.path)' has 210 layers llama.cpp cannot store as planned (it stores ggml "
            + "block types in whole blocks of the row, and bf16): int4/g128: 105 layers (blk.0.attn_q.weight, blk.0.attn_v.weight, "
            + "blk.0.ffn_gate.weight, ...); nvfp4: 105 layers (blk.0.attn_k.weight, blk.0.attn_output.weight, blk.0.ffn_up.weight, ...). "
            + "Search with --target llamacpp, or pass --approximate to write the nearest ggml types.\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// A plan of ggml types and bf16 is written exactly: one `name=type` line per layer, k-quants on
    /// 576 inputs as the type llama-quantize stores (q4_K: q5_0), on 1536 inputs as they are.
    func testExactLlamaCppTensorTypes() throws {
        let model = try CLI.cachedModel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-plan-ggml-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json")
        try Data(CLI.smolLMPlanJSON(model: model, formats: ["q4_K", "bf16", "q6_K"]).utf8).write(to: plan)
        let out = dir.appendingPathComponent("tensor-types.txt")
        let r = try CLI.run(["export-plan", plan.path, "--to", "llamacpp", "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 210)
        XCTAssertEqual(Array(lines.prefix(7)), ["blk.0.attn_q.weight=q5_0", "blk.0.attn_k.weight=bf16", "blk.0.attn_v.weight=q8_0",
                                                "blk.0.attn_output.weight=q5_0", "blk.0.ffn_gate.weight=bf16", "blk.0.ffn_up.weight=q8_0",
                                                "blk.0.ffn_down.weight=q4_K"])
    }
}
