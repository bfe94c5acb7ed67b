import Foundation
import Search
import Sensitivity
import XCTest
import TestSupport
@testable import Pipeline

/// `PlanComparison`'s parts that need no model: option checks, the plans per budget, the verdict lines.
final class PlanComparisonTests: XCTestCase {
    func testOptionsRejectBadValuesNamingTheOption() {
        func error(_ change: (inout PlanComparisonOptions) -> Void) -> PipelineError? {
            var options = PlanComparisonOptions()
            change(&options)
            do { try options.validate(); return nil } catch { return error as? PipelineError }
        }
        XCTAssertNil(error { _ in })
        XCTAssertEqual(error { $0.evaluationWindows = 0 }, .invalidOption(name: "--windows", value: "0", expected: "an integer >= 1"))
        XCTAssertEqual(error { $0.iterations = -3 }, .invalidOption(name: "--iters", value: "-3", expected: "an integer >= 0"))
        XCTAssertEqual(error { $0.budgets = [3, .nan] }, .invalidOption(name: "--budgets", value: "nan", expected: "positive finite numbers"))
        XCTAssertEqual(error { $0.budgets = [] }, .invalidOption(name: "--budgets", value: "", expected: "at least one budget"))
        XCTAssertEqual(error { $0.evaluationContext = 1 }, .invalidOption(name: "--ctx", value: "1", expected: "an integer >= 2"))
    }

    func testPlansPerBudgetShareTheSearchedPlanAndSkipRulesThatDoNotFit() throws {
        let profile = SyntheticProfile.make(layers: 210, seed: 3)
        var options = PlanComparisonOptions()
        options.budgets = [2.2, 3.0]
        let (jobs, skipped) = try PlanComparison(options: options) { _ in }.plans(profile)
        // 2.2 bits: only int2/g128 (2.125 bits in the synthetic profile) fits uniformly and no
        // (base, upgrade) pair fits, so the heuristic is skipped there.
        XCTAssertEqual(jobs.map(\.variant), [.searchedSignRound, .searchedRTN, .uniformSignRound,
                                             .searchedSignRound, .searchedRTN, .uniformSignRound, .heuristicSignRound])
        XCTAssertEqual(skipped.map(\.variant), [.heuristicSignRound])
        XCTAssertEqual(skipped.first?.budget, 2.2)
        XCTAssertEqual(jobs[0].plan, jobs[1].plan)
        XCTAssertEqual(jobs[1].variant.method, .rtnPlain)
        XCTAssertEqual(jobs[2].variant.method, .signround)
        for job in jobs { XCTAssertLessThanOrEqual(job.plan.achieved.searchedAverage, job.budget) }
        XCTAssertThrowsError(try PlanComparison(options: { var o = options; o.budgets = [1.0]; return o }()) { _ in }.plans(profile)) {
            guard case .budgetInfeasible? = $0 as? SearchError else { return XCTFail("\($0)") }
        }
    }

    func testVerdictNeedsLowerKLAndLowerPPL() {
        func row(_ variant: PlanVariant, ppl: Double, kl: Double) -> PlanComparisonRow {
            PlanComparisonRow(budget: 3, variant: variant, plan: "p", achievedBits: 3, predictedLoss: 1, ppl: ppl, kl: kl,
                          top1Agree: 0.5, planSeconds: 0, quantizeSeconds: 0, evaluateSeconds: 0)
        }
        let result = PlanComparisonResult(
            model: "/root/.cache/autoscheme/m.gguf", profile: "/work/main/reports/profile.json", estimator: "e",
            evaluationText: "/x/alice29.txt", evaluationTokens: 1000, ctx: 512,
            windows: 1, iterations: 5, calibrationWindows: 32, originalPPL: 20, setupSeconds: 1,
            rows: [row(.searchedSignRound, ppl: 30, kl: 0.5), row(.uniformSignRound, ppl: 40, kl: 0.9),
                   row(.heuristicSignRound, ppl: 29, kl: 0.6)],
            skipped: [])
        XCTAssertEqual(result.comparisons(), [
            "- 3 bits vs uniform+signround: beats (KL 0.5000 vs 0.9000, PPL 30.000 vs 40.000)",
            "- 3 bits vs depth-heuristic+signround: DOES NOT BEAT (KL 0.5000 vs 0.6000, PPL 30.000 vs 29.000)",
        ])
        let markdown = result.markdown()
        XCTAssertTrue(markdown.contains("| 3 | searched+signround | p | 3.0000 | 1 | 30.000 | 0.5000 | 50.0% | 0.000 | 0.0 | 0.0 |"), markdown)
        XCTAssertTrue(markdown.contains("Model `m.gguf`; profile `profile.json` (estimator `e`)."), markdown)
        XCTAssertFalse(markdown.contains("/root") || markdown.contains("/work"), markdown)
        XCTAssertTrue(markdown.contains("alice29.txt, 1 windows x 512 tokens of 1000; original PPL 20.000"), markdown)
    }
}
