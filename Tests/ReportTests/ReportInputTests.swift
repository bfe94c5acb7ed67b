import Foundation
import Search
import Sensitivity
import XCTest
@testable import Report

final class ReportInputTests: XCTestCase {
    private func write(_ text: String, name: String) throws -> URL {
        let url = try Fixtures.temporaryDirectory().appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func testEvalFileWithAndWithoutLabels() throws {
        let url = try write(#"{"ppl": 23.719, "kl": 0.0123, "top1_agree": 0.9, "tokens": 4088, "ctx": 512, "windows": 8}"#,
                            name: "q2.json")
        let plain = try ReportInputLoader.loadEval(argument: url.path)
        XCTAssertEqual(plain.label, "q2")
        XCTAssertEqual(plain.ppl, 23.719)
        XCTAssertEqual(plain.kl, 0.0123)
        XCTAssertEqual(plain.top1Agree, 0.9)
        XCTAssertNil(plain.averageBits)
        let named = try ReportInputLoader.loadEval(argument: "2.5 bits=" + url.path)
        XCTAssertEqual(named.label, "2.5 bits")

        let labeled = try write(#"{"label": "rtn", "avg_bits": 4.25, "ppl": 25, "tokens": 10, "ctx": 5, "windows": 2}"#,
                                name: "e.json")
        let e = try ReportInputLoader.loadEval(argument: labeled.path)
        XCTAssertEqual(e.label, "rtn")
        XCTAssertEqual(e.averageBits, 4.25)
        XCTAssertNil(e.kl)
    }

    func testBadEvalFilesGiveTypedErrors() throws {
        let zero = try write(#"{"ppl": 0, "tokens": 1, "ctx": 1, "windows": 1}"#, name: "zero.json")
        XCTAssertThrowsError(try ReportInputLoader.loadEval(argument: zero.path)) { error in
            XCTAssertEqual(error as? ReportError, .invalidValue(file: zero.path, field: "ppl", expected: "a finite number > 0", actual: "0"))
        }
        let agree = try write(#"{"ppl": 3, "top1_agree": 1.5, "tokens": 1, "ctx": 1, "windows": 1}"#, name: "agree.json")
        XCTAssertThrowsError(try ReportInputLoader.loadEval(argument: agree.path)) { error in
            guard case ReportError.invalidValue(_, "top1_agree", _, "1.50") = error else { return XCTFail("\(error)") }
        }
        let missing = try write(#"{"kl": 0.1}"#, name: "missing.json")
        XCTAssertThrowsError(try ReportInputLoader.loadEval(argument: missing.path)) { error in
            guard case ReportError.malformed(let file, "evaluation file", let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, missing.path)
            XCTAssertTrue(reason.contains("\"ppl\""), reason)
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.contains(missing.path) ?? false)
        }
        XCTAssertThrowsError(try ReportInputLoader.loadEval(argument: "=x.json")) { error in
            XCTAssertEqual(error as? ReportError, .badEvalArgument(text: "=x.json"))
        }
        XCTAssertThrowsError(try ReportInputLoader.loadEval(argument: "/no/such/eval.json")) { error in
            guard case ReportError.unreadable("/no/such/eval.json", _) = error else { return XCTFail("\(error)") }
        }
    }

    func testPlanMustMatchTheProfile() throws {
        let profile = Fixtures.tinyProfile()
        let plan = try Fixtures.tinyPlan(profile)
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("plan.json")
        try plan.writeJSON(to: url)
        XCTAssertEqual(try ReportInputLoader.loadPlan(url, profile: profile), plan)

        var renamed = profile
        renamed.layers[1].name = "model.layers.0.mlp.other.weight"
        XCTAssertThrowsError(try ReportInputLoader.loadPlan(url, profile: renamed)) { error in
            XCTAssertEqual(error as? ReportError, .mismatch(file: url.path, layer: "model.layers.0.mlp.down_proj.weight",
                                                            expected: "no such layer", actual: "a decision"))
        }
        var wrongSchema = try String(contentsOf: url, encoding: .utf8)
        wrongSchema = wrongSchema.replacingOccurrences(of: #"autoscheme.plan\/1"#, with: "autoscheme.plan/9")
            .replacingOccurrences(of: "autoscheme.plan/1", with: "autoscheme.plan/9")
        try Data(wrongSchema.utf8).write(to: url)
        XCTAssertThrowsError(try ReportInputLoader.loadPlan(url, profile: profile)) { error in
            XCTAssertEqual(error as? ReportError, .unsupportedSchema(file: url.path, expected: "autoscheme.plan/1",
                                                                     found: "autoscheme.plan/9"))
        }
    }

    func testSweepRoundTripAndMismatch() throws {
        let profile = Fixtures.tinyProfile()
        let sweep = try PlanSearch.sweep(profile: profile, options: SearchOptions(averageBits: 3, sharing: SharingRule.none),
                                         targets: [2.5, 4.5])
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("sweep.json")
        try sweep.writeJSON(to: url)
        XCTAssertEqual(try ReportInputLoader.loadSweep(url, profile: profile).frontier.map(\.achievedBits), [2.5, 4.5])
        var fewer = profile
        fewer.layers.removeLast()
        XCTAssertThrowsError(try ReportInputLoader.loadSweep(url, profile: fewer)) { error in
            guard case ReportError.mismatch(_, Fixtures.trickyName, _, _) = error else { return XCTFail("\(error)") }
        }
    }
}

/// The plan section says which layers quantize their input activations (W4A4, W8A8 formats).
final class ActivationReportTests: XCTestCase {
    func testPlanSectionListsActivationQuantizedLayers() throws {
        var plan = try Fixtures.tinyPlan(Fixtures.tinyProfile())
        XCTAssertNil(PlanSection.activationLine(plan))
        plan.layers[1].format = .nvfp4A4
        XCTAssertEqual(PlanSection.activationLine(plan),
                       "Activations: 1 layers quantize their inputs (1 in nvfp4-a4); \(plan.layers.count - 1) keep float activations. "
                       + "Quantized inputs: \(plan.layers[1].name.replacingOccurrences(of: ".weight", with: "")).")
    }
}
