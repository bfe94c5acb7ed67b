import Foundation
import XCTest
import Sensitivity
import TestSupport
@testable import Search

/// The one validator per input kind (profile, plan, sweep): values near 2^62, 1e308 scores, empty
/// layer lists and budgets beyond 64 bits are refused at load time with a typed error naming the file,
/// the layer or field and the bound, before any arithmetic can overflow.
final class HostileProfilePlanTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Writes `profile`, expects `load` to refuse it with a problem containing every fragment, and
    /// checks the file is byte-identical afterwards.
    private func assertRefused(_ profile: SensitivityProfile, _ fragments: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let url = folder.appendingPathComponent("profile-\(UUID().uuidString).json")
        try profile.write(to: url)
        let before = try Data(contentsOf: url)
        XCTAssertThrowsError(try SensitivityProfile.load(from: url), file: file, line: line) { error in
            guard case .invalid(url.path, _, _)? = error as? ProfileError else { return XCTFail("\(error)", file: file, line: line) }
            let message = error.localizedDescription
            for fragment in fragments { XCTAssertTrue(message.contains(fragment), "\(message) lacks \(fragment)", file: file, line: line) }
        }
        XCTAssertEqual(try Data(contentsOf: url), before, file: file, line: line)
    }

    func testProfileRangesAreValidatedAtLoad() throws {
        let base = SyntheticProfile.make(layers: 7, seed: 3)
        let first = base.layers[0].name
        var p = base
        p.layers[0].candidates[0].bits.storage = 1 << 62
        try assertRefused(p, [first, "exceed 64 per parameter"])
        p = base
        p.layers[0].shape = [1 << 40, 1 << 30]
        p.layers[0].parameters = 1 << 62
        try assertRefused(p, [first, "1...16777216"])
        p = base
        p.layers[0].parameters = 1 << 62
        try assertRefused(p, [first, "parameters 4611686018427387904"])
        p = base
        p.layers[1].candidates[2].score = 1e308
        try assertRefused(p, [base.layers[1].name, "exceeds 1e+30"])
        p = base
        p.layers = []
        try assertRefused(p, ["layers is empty"])
        p = base
        p.model.fixedTensors = [FixedTensor(name: "model.embed_tokens.weight", parameters: 100, bits: 1 << 62)]
        try assertRefused(p, ["model.embed_tokens.weight", "0...6400"])
        p = base
        p.model.fixedTensors = [FixedTensor(name: "huge", parameters: 1 << 40, bits: 16 << 40)] +
            (0..<300).map { FixedTensor(name: "more\($0)", parameters: 1 << 40, bits: 1 << 40) }
        try assertRefused(p, ["parameters exceed 281474976710656"])
    }

    private func writePlan(_ plan: QuantizationPlan) throws -> URL {
        let url = folder.appendingPathComponent("plan-\(UUID().uuidString).json")
        try plan.writeJSON(to: url)
        return url
    }

    func testPlanRangesAreValidatedAtLoad() throws {
        let profile = SyntheticProfile.make(layers: 7, seed: 3)
        let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 3))
        XCTAssertEqual(try QuantizationPlan.load(from: try writePlan(plan)), plan)
        let cases: [(String, (inout QuantizationPlan) -> Void, String)] = [
            ("layers", { $0.layers = [] }, "empty"),
            ("layer \(plan.layers[0].name)", { $0.layers[0].bits = 1 << 62 }, "64 per parameter"),
            ("layer \(plan.layers[0].name)", { $0.layers[0].parameters = 1 << 62 }, "1...1099511627776"),
            ("layer \(plan.layers[1].name)", { $0.layers[1].score = .infinity }, "finite"),
            ("layer \(plan.layers[0].name)", { $0.layers[1] = $0.layers[0] }, "more than once"),
            ("budget.average_bits", { $0.budget.averageBits = 1e11 }, "(0, 64]"),
            ("achieved.model_bits", { $0.achieved.modelBits = -1 }, "0..."),
            ("predicted_loss", { $0.predictedLoss = .nan }, "finite"),
        ]
        for (place, mutate, fragment) in cases {
            var bad = plan
            mutate(&bad)
            let url = try writePlan(bad)
            let before = try Data(contentsOf: url)
            XCTAssertThrowsError(try QuantizationPlan.load(from: url), place) { error in
                guard case let .invalid(file, found, problem)? = error as? PlanFileError else { return XCTFail("\(error)") }
                XCTAssertEqual(file, url.path)
                XCTAssertEqual(found, place)
                XCTAssertTrue(problem.contains(fragment), "\(problem) lacks \(fragment)")
            }
            XCTAssertEqual(try Data(contentsOf: url), before)
        }
    }

    func testSweepIsValidatedWithItsPlans() throws {
        let profile = SyntheticProfile.make(layers: 7, seed: 3)
        let sweep = try PlanSearch.sweep(profile: profile, options: SearchOptions(averageBits: 3), targets: [2.5, 4])
        let url = folder.appendingPathComponent("sweep.json")
        try sweep.writeJSON(to: url)
        XCTAssertEqual(try PlanSweep.load(from: url), sweep)
        var bad = sweep
        bad.frontier[1].predictedLoss = .nan
        try bad.writeJSON(to: url)
        XCTAssertThrowsError(try PlanSweep.load(from: url)) { error in
            XCTAssertEqual(error as? PlanFileError, .invalid(file: url.path, place: "frontier[1]", problem: "values must be finite and >= 0"))
        }
        bad = sweep
        bad.plans[0].layers = []
        try bad.writeJSON(to: url)
        XCTAssertThrowsError(try PlanSweep.load(from: url)) { error in
            guard case .invalid(_, "layers", _)? = error as? PlanFileError else { return XCTFail("\(error)") }
        }
    }

    /// Budgets beyond 64 bits per parameter are refused by the search itself, not only by the CLI.
    func testBudgetAbove64BitsIsRefused() throws {
        let profile = SyntheticProfile.make(layers: 7, seed: 3)
        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 1e11))) { error in
            XCTAssertEqual(error as? SearchError, .invalidBudget(value: 1e11))
            XCTAssertTrue(error.localizedDescription.contains("(0, 64]"), error.localizedDescription)
        }
        XCTAssertThrowsError(try PlanSearch.parseSweep("1:1e11:1"))
    }
}
