import Foundation
import XCTest

/// `autoscheme quantize --scope block` end to end on the cached default model: a short block-wise
/// run writes a packed checkpoint whose statistics say block scope and which `eval` reads.
final class QuantizeBlockScopeTests: XCTestCase {
    /// A plan for SmolLM2-135M with every linear layer at `format`.
    private func planJSON(model: String, format: String) -> String {
        let kinds = [("self_attn.q_proj", 576 * 576), ("self_attn.k_proj", 192 * 576), ("self_attn.v_proj", 192 * 576),
                     ("self_attn.o_proj", 576 * 576), ("mlp.gate_proj", 1536 * 576), ("mlp.up_proj", 1536 * 576),
                     ("mlp.down_proj", 576 * 1536)]
        var layers: [String] = []
        for b in 0..<30 {
            for (path, params) in kinds {
                layers.append(#"{"name": "model.layers.\#(b).\#(path).weight", "format": "\#(format)", "bits": 0, "parameters": \#(params), "score": 0, "reason": {"kind": "solver"}}"#)
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

    func testBlockScopeWritesACheckpointEvalReads() throws {
        let model = try CLI.cachedModel(), text = try CLI.cached("alice29.txt"), calib = try CLI.cached("lcet10.txt")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantize-block-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json"), out = dir.appendingPathComponent("out")
        try Data(planJSON(model: model, format: "int4/g128").utf8).write(to: plan)
        let q = try CLI.run(["quantize", model, "--plan", plan.path, "--calib", calib, "--scope", "block", "--iters", "2",
                             "--nsamples", "3", "--seqlen", "32", "--batch-size", "2", "-o", out.path])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stderr.contains("block 30/30 (block-wise): block MSE rtn"), q.stderr)
        let statsData = try Data(contentsOf: out.appendingPathComponent("quantize-stats.json"))
        let stats = try JSONSerialization.jsonObject(with: statsData) as! [String: Any]
        XCTAssertEqual(stats["scope"] as? String, "block")
        XCTAssertEqual(stats["batch_size"] as? Int, 2)
        XCTAssertEqual(stats["quantized_input"] as? Bool, true)
        let layers = stats["layers"] as! [[String: Any]]
        XCTAssertEqual(layers.count, 210)
        XCTAssertTrue(layers.allSatisfy { $0["iterations"] as? Int == 2 })

        let e = try CLI.run(["eval", out.path, "--text", text, "--ctx", "64", "--windows", "2", "--against", model, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        let kl = try XCTUnwrap(json["kl"] as? Double)
        // Quantized weights were read (non-zero divergence) and the model still works (a model whose
        // 4-bit weights were read back wrongly predicts noise: KL of several nats).
        XCTAssertGreaterThan(kl, 0.005)
        XCTAssertLessThan(kl, 2.0)
        XCTAssertEqual(json["tokens"] as? Int, 126)
    }
}
