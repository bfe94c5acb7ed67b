import Formats
import Model
import XCTest
import Sensitivity
import TestSupport
@testable import Search

/// The plan layer: groups, pins, allow-lists, budgets, sweeps and their errors.
final class PlanSearchTests: XCTestCase {
    /// Two blocks (14 layers) of the synthetic Llama profile.
    let profile = SyntheticProfile.make(layers: 14, seed: 7)

    func testBudgetNeverExceededAndSharesRespected() throws {
        for target in [2.2, 2.5, 3.0, 4.1, 4.6, 7.9, 20] {
            let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: target))
            XCTAssertLessThanOrEqual(plan.achieved.searchedAverage, target)
            XCTAssertEqual(plan.solver.status, .optimal)
            let format = Dictionary(uniqueKeysWithValues: plan.layers.map { ($0.name, $0.format) })
            for block in 0..<2 {
                let q = format["model.layers.\(block).self_attn.q_proj.weight"]
                XCTAssertEqual(format["model.layers.\(block).self_attn.k_proj.weight"], q)
                XCTAssertEqual(format["model.layers.\(block).self_attn.v_proj.weight"], q)
                XCTAssertEqual(format["model.layers.\(block).mlp.gate_proj.weight"],
                               format["model.layers.\(block).mlp.up_proj.weight"])
            }
            XCTAssertEqual(plan.achieved.searchedBits, plan.layers.reduce(0) { $0 + $1.bits })
        }
    }

    func testSharedPlanEqualsBruteForceOverGroups() throws {
        // 14 layers -> 8 groups under vLLM sharing (qkv, o, gate_up, down per block); 3 formats: 3^8 plans.
        let formats: [QuantFormat] = ["int2/g128", "int4/g128", "fp8"]
        let options = SearchOptions(averageBits: 3.3, formats: formats)
        let problem = try SearchProblem(profile: profile, options: options)
        XCTAssertEqual(problem.groups.count, 8)
        let plan = try PlanSearch.solve(problem, averageBits: 3.3)
        let instance = problem.instance(capacity: problem.capacity(averageBits: 3.3))
        XCTAssertEqual(plan.predictedLoss, KnapsackSolverTests.bruteForce(instance), accuracy: 1e-12)
    }

    func testPinsFixGroupsAndSiblingsFollow() throws {
        let options = SearchOptions(averageBits: 3.0, pins: [PinRule(pattern: #"layers\.0\..*q_proj"#, format: "fp8")])
        let plan = try PlanSearch.run(profile: profile, options: options)
        let block0 = plan.layers.filter { $0.name.hasPrefix("model.layers.0.self_attn.") && !$0.name.contains("o_proj") }
        XCTAssertEqual(block0.map(\.format), ["fp8", "fp8", "fp8"])
        XCTAssertEqual(block0.map(\.reason), Array(repeating: .pinned(rule: #"layers\.0\..*q_proj=fp8"#), count: 3))
        XCTAssertLessThanOrEqual(plan.achieved.searchedAverage, 3.0)
        let down = try XCTUnwrap(plan.layers.first { $0.name == "model.layers.1.mlp.down_proj.weight" })
        XCTAssertEqual(down.reason, .solver)
        let gate = try XCTUnwrap(plan.layers.first { $0.name == "model.layers.1.mlp.gate_proj.weight" })
        XCTAssertEqual(gate.reason, .shared(group: "model.layers.1.mlp.gate_up_proj", with: ["model.layers.1.mlp.up_proj.weight"]))
    }

    func testShareNoneAndPatternGroups() throws {
        let none = try SearchProblem(profile: profile, options: SearchOptions(averageBits: 3, sharing: .none))
        XCTAssertEqual(none.groups.count, 14)
        // One group per block: the capture is the block index.
        let perBlock = try SearchProblem(profile: profile, options: SearchOptions(averageBits: 3, sharing: .patterns([#"layers\.(\d+)\."#])))
        XCTAssertEqual(perBlock.groups.map(\.members.count), [7, 7])
        let plan = try PlanSearch.solve(perBlock, averageBits: 3)
        XCTAssertEqual(Set(plan.layers.prefix(7).map(\.format)).count, 1)
    }

    func testAllowListsRestrict() throws {
        let options = SearchOptions(averageBits: 16, allows: [AllowRule(pattern: "down_proj", formats: ["int4/g128", "mxfp4"])])
        let plan = try PlanSearch.run(profile: profile, options: options)
        for layer in plan.layers where layer.name.contains("down_proj") {
            XCTAssertTrue(["int4/g128", "mxfp4"].contains(layer.format), "\(layer.name): \(layer.format)")
        }
        // With 16 bits everything else can be bf16 (score 0).
        XCTAssertTrue(plan.layers.filter { !$0.name.contains("down_proj") }.allSatisfy { $0.format == "bf16" })
    }

    func testInfeasibleBudgetStatesRangeAndCause() {
        let options = SearchOptions(averageBits: 2.5, pins: [PinRule(pattern: "mlp", format: "fp8")])
        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: options)) { error in
            guard case let .budgetInfeasible(target, minimum, maximum, narrowedBy) = error as? SearchError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(target, 2.5)
            XCTAssertGreaterThan(minimum, 2.5)
            // Dearest plan: MLP at fp8 (each of gate, up, down covers 12 x 5 blocks of 128 x 128 with a
            // 32-bit scale), attention at bf16, per block
            // (2654208 x 8 + 3 x 60 x 32 + 884736 x 16) / 3538944 = 35395200 / 3538944 = 10.001627604166...
            XCTAssertEqual(maximum, 35_395_200.0 / 3_538_944.0, accuracy: 1e-12)
            XCTAssertTrue(narrowedBy.contains("4 pinned groups"), narrowedBy)
            // Cheapest: int2/g128 everywhere; 576 inputs make 5 groups per row (the last one short), so
            // per block 2 x 3538944 + 16 x (2 x 2880 + 2 x 960 + 2 x 7680 + 6912) = 7557120 bits: 2.1354.
            XCTAssertTrue(narrowedBy.contains("the minimum is 2.1354"), narrowedBy)
        }
    }

    func testConflictingPinsAndAllowsNameTheLayer() {
        let pins = [PinRule(pattern: "q_proj", format: "fp8"), PinRule(pattern: "layers.1.self_attn.k", format: "int4/g128")]
        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 4, pins: pins))) { error in
            XCTAssertTrue(error.localizedDescription.contains("model.layers.1.self_attn.k_proj.weight"), error.localizedDescription)
        }
        let allows = [AllowRule(pattern: "v_proj", formats: ["fp8"]), AllowRule(pattern: "layers.0.self_attn.q", formats: ["bf16"])]
        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 4, allows: allows))) { error in
            XCTAssertTrue(error.localizedDescription.contains("model.layers.0.self_attn.v_proj.weight"), error.localizedDescription)
        }
        // A real format the profile has no scores for (names that are no format fail earlier, when
        // parsed: RuleParsingTests, ProfileTests).
        XCTAssertThrowsError(try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 4, formats: ["int8/g128"]))) { error in
            XCTAssertEqual(error as? SearchError, .unknownFormat(format: "int8/g128", rule: "--formats",
                                                                 available: profile.formats.map(\.name)))
        }
    }

    func testModelScopeCountsFixedTensors() throws {
        let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 8.8, scope: .model))
        XCTAssertLessThanOrEqual(plan.achieved.modelAverage, 8.8)
        let fixedBits = profile.model.fixedTensors.reduce(0) { $0 + $1.bits }
        XCTAssertEqual(plan.achieved.modelBits, plan.achieved.searchedBits + fixedBits)
        XCTAssertEqual(plan.budget.capacityBits + fixedBits,
                       Int((8.8 * Double(plan.achieved.modelParameters)).rounded(.down)))
    }

    func testSweepIsMonotone() throws {
        let targets = try PlanSearch.parseSweep("2.2:8.0:0.1")
        XCTAssertEqual(targets.count, 59)
        let sweep = try PlanSearch.sweep(profile: profile, options: SearchOptions(averageBits: 0), targets: targets)
        XCTAssertEqual(sweep.plans.count, 59)
        for (point, next) in zip(sweep.frontier, sweep.frontier.dropFirst()) {
            XCTAssertGreaterThanOrEqual(point.predictedLoss, next.predictedLoss)
            XCTAssertLessThanOrEqual(point.achievedBits, point.targetBits)
        }
        XCTAssertThrowsError(try PlanSearch.parseSweep("3:2:0.1"))
    }

    func testPlanRoundTripsThroughJSON() throws {
        let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 4, pins: [PinRule(pattern: "down", format: "fp8")]))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try plan.writeJSON(to: url)
        let decoded = try JSONDecoder().decode(QuantizationPlan.self, from: Data(contentsOf: url))
        XCTAssertEqual(decoded, plan)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains(#""schema" : "autoscheme.plan\/1""#), String(text.prefix(300)))
        XCTAssertTrue(text.contains(#""kind" : "pinned""#))
    }

    func testFallbackNotesBecomeReasons() throws {
        var noted = profile
        let index = try XCTUnwrap(noted.layers.firstIndex { $0.name == "model.layers.1.mlp.down_proj.weight" })
        for c in noted.layers[index].candidates.indices { noted.layers[index].candidates[c].fallback = "group 128 -> 64" }
        let plan = try PlanSearch.run(profile: noted, options: SearchOptions(averageBits: 3))
        XCTAssertEqual(plan.layers[index].reason, .fallback(note: "group 128 -> 64"))
    }

    func testVLLMGroupsAllExpertsOfOneMoEBlock() throws {
        let names = ["model.layers.0.mlp.experts.0.gate_proj.weight", "model.layers.0.mlp.experts.1.down_proj.weight",
                     "model.layers.1.mlp.experts.0.up_proj.weight", "model.layers.1.self_attn.o_proj.weight"]
        let layers = names.map { ProfileLayer(name: $0, block: nil, kind: LinearKind(moduleName: $0), shape: [4, 4],
                                              parameters: 16, fusedGroup: nil, candidates: []) }
        XCTAssertEqual(try SearchProblem.groupIds(layers, sharing: .vllm),
                       ["model.layers.0.mlp.experts", "model.layers.0.mlp.experts", "model.layers.1.mlp.experts",
                        "model.layers.1.self_attn.o_proj.weight"])
    }

    func testCandidateOrderDoesNotMatter() throws {
        var shuffled = profile
        for i in shuffled.layers.indices { shuffled.layers[i].candidates.reverse() }
        let options = SearchOptions(averageBits: 3.7)
        let a = try PlanSearch.run(profile: profile, options: options)
        let b = try PlanSearch.run(profile: shuffled, options: options)
        XCTAssertEqual(a.layers.map(\.format), b.layers.map(\.format))
        XCTAssertEqual(a.predictedLoss, b.predictedLoss, accuracy: 1e-15)
    }
}
