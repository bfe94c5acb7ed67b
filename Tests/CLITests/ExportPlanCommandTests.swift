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
                XCTAssertEqual(text.split(separator: "\n").count, 211)
                XCTAssertTrue(text.contains("\nblk.0.attn_q.weight=q4_K\n"))
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
    }
}
