import Foundation
import TestSupport
import XCTest

/// `autoscheme report` (and `autoscheme-bench report`), run end to end as processes.
final class ReportCommandTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments) }
    private func bench(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments, tool: "autoscheme-bench") }

    func testReportFromBenchInputs() throws {
        let dir = URL(fileURLWithPath: TestScratch.path("report-cli"))
        // the bench writes a seeded synthetic profile (21 layers), its plan at 2.5 bits and a sweep
        let bench = try bench(["report", "--layers", "21", "--repeats", "1", "-o", dir.path])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        XCTAssertTrue(bench.stdout.contains("| 21 | 8 |"), bench.stdout)
        let inputs = dir.appendingPathComponent("21")
        let eval = dir.appendingPathComponent("eval.json")
        try Data(#"{"ppl": 31.5, "kl": 0.25, "top1_agree": 0.7, "tokens": 4088, "ctx": 512, "windows": 8, "avg_bits": 2.5}"#.utf8)
            .write(to: eval)
        let out = dir.appendingPathComponent("out")
        let r = try run(["report", inputs.appendingPathComponent("profile.json").path,
                         "--plan", "two and a half=" + inputs.appendingPathComponent("plan.json").path,
                         "--sweep", inputs.appendingPathComponent("sweep.json").path,
                         "--eval", "rtn 2.5=" + eval.path, "-o", out.path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let paths = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String])
        XCTAssertEqual(paths["html"], out.appendingPathComponent("report.html").path)
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("Plan two and a half"))
        XCTAssertTrue(html.contains("rtn 2.5: measured KL 0.250, PPL 31.5"))
        XCTAssertTrue(html.contains("model.layers.2.mlp.down_proj.weight"))
        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| rtn 2.5 | 2.50 | 31.5 | 0.250 | 70.0 % | 4,088 (8 × 512) |"), md)
        // The inputs are named by file, not by the folder they were read from.
        XCTAssertTrue(md.contains("Inputs: profile.json, plan two and a half (plan.json), sweep sweep.json, eval rtn 2.5 (eval.json)"), md)
        XCTAssertFalse(md.contains(inputs.path), md)
    }

    func testMismatchedPlanFailsWithOneLine() throws {
        let dir = URL(fileURLWithPath: TestScratch.path("report-cli"))
        let bench = try bench(["report", "--layers", "14", "21", "--repeats", "1", "-o", dir.path])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let plan = dir.appendingPathComponent("21/plan.json").path
        let r = try run(["report", dir.appendingPathComponent("14/profile.json").path, "--plan", plan,
                         "-o", dir.appendingPathComponent("out").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "autoscheme: \(plan) does not match the profile: layer model.layers.2.self_attn.q_proj.weight: "
                       + "profile has no such layer, file has a decision.\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/report.html").path))
    }
}
