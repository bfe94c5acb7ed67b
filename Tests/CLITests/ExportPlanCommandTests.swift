import Foundation
import XCTest

/// `autoscheme export-plan`, run end to end as a process on the default model.
final class ExportPlanCommandTests: XCTestCase {

    /// A plan JSON for SmolLM2-135M: every linear layer, formats cycling through `formats`.
    private func planJSON(model: String, formats: [String], firstName: String? = nil) -> String {
        let kinds = [("self_attn.q_proj", 576 * 576), ("self_attn.k_proj", 192 * 576), ("self_attn.v_proj", 192 * 576),
                     ("self_attn.o_proj", 576 * 576), ("mlp.gate_proj", 1536 * 576), ("mlp.up_proj", 1536 * 576),
                     ("mlp.down_proj", 576 * 1536)]
        var layers: [String] = []
        for b in 0..<30 {
            for (k, (path, params)) in kinds.enumerated() {
                let i = b * 7 + k
                let name = i == 0 ? (firstName ?? "model.layers.0.\(path).weight") : "model.layers.\(b).\(path).weight"
                layers.append(#"{"name": "\#(name)", "format": "\#(formats[i % formats.count])", "bits": 0, "parameters": \#(params), "score": 0, "reason": {"kind": "solver"}}"#)
            }
        }
        return """
        {"schema": "autoscheme.plan/1",
         "source": {"model_path": "\(model)", "fingerprint": "t", "estimator": "t"},
         "budget": {"average_bits": 4, "counting": "storage", "scope": "searched", "capacity_bits": 0},
         "achieved": {"searched_bits": 0, "searched_parameters": 0, "searched_average": 0, "model_bits": 0, "model_parameters": 0, "model_average": 0},
         "predicted_loss": 0,
         "solver": {"status": "optimal", "objective": 0, "bound": 0, "lp_bound": 0, "gap": 0, "seconds": 0,
                    "statistics": {"choices": 0, "non_dominated": 0, "after_fixing": 0, "groups_sent_to_mip": 0, "prover": "test"}},
         "layers": [\(layers.joined(separator: ",\n"))]}
        """
    }

    func testEveryTargetOnDefaultModel() throws {
        let model = try CLI.cachedModel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-plan-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json")
        try Data(planJSON(model: model, formats: ["int4/g128", "int2/g128", "mxfp4", "nvfp4", "fp8", "bf16", "int8/g128", "int3/g128"]).utf8).write(to: plan)
        for target in ["autoround", "llmcompressor", "llamacpp", "json"] {
            let out = dir.appendingPathComponent("out.\(target)")
            let r = try CLI.run(["export-plan", plan.path, "--to", target, "-o", out.path])
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
        try Data(planJSON(model: model, formats: ["int4/g128"], firstName: "model.layers.0.self_attn.qq_proj.weight").utf8).write(to: plan)
        let out = dir.appendingPathComponent("out.yaml")
        let r = try CLI.run(["export-plan", plan.path, "--to", "llmcompressor", "-o", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("model.layers.0.self_attn.qq_proj.weight"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
