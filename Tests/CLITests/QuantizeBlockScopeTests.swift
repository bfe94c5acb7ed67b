import Foundation
import XCTest

/// `autoscheme quantize --scope block` end to end on the cached default model: a short block-wise
/// run writes a packed checkpoint whose statistics say block scope and which `eval` reads.
final class QuantizeBlockScopeTests: XCTestCase {
    func testBlockScopeWritesACheckpointEvalReads() throws {
        let model = try CLI.cachedModel(), text = try CLI.cached("alice29.txt"), calib = try CLI.cached("lcet10.txt")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantize-block-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json"), out = dir.appendingPathComponent("out")
        try Data(CLI.smolLMPlanJSON(model: model, formats: ["int4/g128"]).utf8).write(to: plan)
        let q = try CLI.run(["quantize", model, "--plan", plan.path, "--calib", calib, "--scope", "block", "--iters", "2",
                             "--nsamples", "3", "--seqlen", "32", "--batch-size", "2", "--e2e-steps", "3", "-o", out.path])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertTrue(q.stderr.contains("block 30/30 (block-wise): block MSE rtn"), q.stderr)
        let statsData = try Data(contentsOf: out.appendingPathComponent("quantize-stats.json"))
        let stats = try JSONSerialization.jsonObject(with: statsData) as! [String: Any]
        XCTAssertEqual(stats["scope"] as? String, "block")
        XCTAssertEqual(stats["batch_size"] as? Int, 2)
        XCTAssertEqual(stats["quantized_input"] as? Bool, true)
        // The end-to-end pass: 3 steps of 2 windows (3 calibration, 3 the original model wrote from
        // 16-token prompts), every int4 group scale tuned.
        let e2e = try XCTUnwrap(stats["end_to_end"] as? [String: Any])
        XCTAssertEqual(e2e["steps"] as? Int, 3)
        XCTAssertEqual(e2e["windows"] as? String, "generated")
        // Half the 3 calibration windows, rounded down, are the model's own too: 4 windows written.
        XCTAssertTrue(q.stderr.contains("the original model writes 4 windows of 32 tokens (3 for the end-to-end pass, "
                                        + "1 calibration) from 16-token prompts"), q.stderr)
        XCTAssertEqual(stats["generated_windows"] as? Int, 1)
        XCTAssertEqual(e2e["scales"] as? Int, 30 * (2 * 576 * 5 + 2 * 192 * 5 + 2 * 1536 * 5 + 576 * 12), "ceil(576 / 128) = 5 groups per row, 12 for down")
        XCTAssertGreaterThan(try XCTUnwrap(e2e["first_kl"] as? Double), 0)
        XCTAssertTrue(q.stderr.contains("end-to-end: "), q.stderr)
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
