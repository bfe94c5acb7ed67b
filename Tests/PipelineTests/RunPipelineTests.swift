import Export
import Foundation
import Model
import Formats
import Search
import Sensitivity
import XCTest
@testable import Pipeline
import Quant

/// `RunPipeline` end to end on the real default model at small settings (release builds: seconds;
/// the settings are far below the defaults so the whole chain runs in CI).
final class RunPipelineTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    private func cachedModel() throws -> String {
        let cache = ProcessInfo.processInfo.environment["AUTOSCHEME_CACHE"] ?? NSHomeDirectory() + "/.cache/autoscheme"
        for name in ["SmolLM2-135M-Instruct.Q4_1.gguf", "lcet10.txt", "alice29.txt"]
        where !FileManager.default.fileExists(atPath: cache + "/" + name) {
            throw XCTSkip("\(name) not cached in \(cache)")
        }
        return cache + "/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    private func smallOptions(model: String, bits: Double, output: URL) throws -> RunOptions {
        let formats = try ["int2", "int3", "int4", "int8"].map { try QuantFormat(parsing: $0) }
        let profiler = ProfilerOptions(formats: formats, sampleCount: 4, sequenceLength: 128, seed: 3,
                                       probeWindows: 1, probeLength: 64)
        var options = RunOptions(model: model, averageBits: bits, output: output.path, profiler: profiler)
        options.quantize.signRound = SignRoundOptions(iterations: 8)
        options.quantize.calibration = CalibrationOptions(sampleCount: 4, sequenceLength: 128, seed: 3)
        options.evaluation.context = 128
        options.evaluation.windows = 2
        return options
    }

    func testWholeChainOnDefaultModelThenProfileReuse() throws {
        #if DEBUG
        throw XCTSkip("runs the real model; release builds only (scripts/test)")
        #endif
        let model = try cachedModel()
        let cache = ProfileCache(directory: root.appendingPathComponent("profiles"))
        let out = root.appendingPathComponent("out")
        var lines: [String] = []
        let summary = try RunPipeline(options: try smallOptions(model: model, bits: 3.0, output: out), cache: cache) {
            lines.append($0)
        }.run()

        XCTAssertLessThanOrEqual(summary.achievedBits, 3.0)
        XCTAssertGreaterThan(summary.achievedBits, 2.9, "the search should use the budget")
        XCTAssertFalse(summary.profileReused)
        XCTAssertEqual(summary.stages.map(\.stage), RunStage.allCases)
        XCTAssertEqual(summary.windows, 2)
        XCTAssertEqual(summary.evaluationTokens, 2 * 127)
        XCTAssertGreaterThan(summary.kl, 0)
        XCTAssertGreaterThan(summary.quantizedPPL, summary.originalPPL * 0.95)
        XCTAssertTrue(summary.top1Agree > 0 && summary.top1Agree < 1, "\(summary.top1Agree)")
        for name in ["profile.json", "plan.json", "sweep.json", "eval.json", "summary.json", "report.html", "report.md",
                     "model/config.json", "model/model.safetensors", "model/tokenizer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let plan = try JSONDecoder().decode(QuantizationPlan.self, from: Data(contentsOf: out.appendingPathComponent("plan.json")))
        XCTAssertEqual(plan.layers.count, 210)
        // SignRound's statistics sit beside the checkpoint: one row per planned layer, the run's settings.
        let stats = try JSONDecoder().decode(QuantizeStats.self,
                                             from: Data(contentsOf: out.appendingPathComponent("model/quantize-stats.json")))
        XCTAssertEqual(stats.layers.count, 210)
        XCTAssertEqual(stats.plan, "plan.json")
        XCTAssertEqual(stats.scope, .layer)
        XCTAssertEqual(stats.samples, 4)
        XCTAssertEqual(plan.achieved.searchedAverage, summary.achievedBits)
        XCTAssertTrue(lines.contains { $0.hasPrefix("[7/7] report done") }, lines.joined(separator: "\n"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no staging folder is left behind")

        // A new budget reuses the cached profile: no profiler stage output, same scores. This one
        // tunes block-wise.
        let second = root.appendingPathComponent("out2")
        var blockWise = try smallOptions(model: model, bits: 4.25, output: second)
        blockWise.quantize.scope = .block
        blockWise.quantize.batchSize = 2
        let again = try RunPipeline(options: blockWise, cache: cache) { _ in }.run()
        let blockStats = try JSONDecoder().decode(QuantizeStats.self,
                                                  from: Data(contentsOf: second.appendingPathComponent("model/quantize-stats.json")))
        XCTAssertEqual(blockStats.scope, .block)
        XCTAssertEqual(blockStats.batchSize, 2)
        XCTAssertTrue(blockStats.quantizedInput)
        XCTAssertTrue(again.profileReused)
        XCTAssertLessThanOrEqual(again.achievedBits, 4.25)
        XCTAssertLessThan(again.predictedLoss, summary.predictedLoss)
        XCTAssertLessThan(again.kl, summary.kl)
        XCTAssertGreaterThan(again.top1Agree, summary.top1Agree)
    }

    func testImpossibleBudgetFailsBeforeWritingAnything() throws {
        #if DEBUG
        throw XCTSkip("runs the real model; release builds only (scripts/test)")
        #endif
        let model = try cachedModel()
        let out = root.appendingPathComponent("never")
        let cache = ProfileCache(directory: root.appendingPathComponent("profiles"))
        XCTAssertThrowsError(try RunPipeline(options: try smallOptions(model: model, bits: 1.5, output: out), cache: cache) { _ in }.run()) {
            guard case let SearchError.budgetInfeasible(target, minimum, _, _) = $0 else { return XCTFail("\($0)") }
            XCTAssertEqual(target, 1.5)
            XCTAssertGreaterThan(minimum, 2.0)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testNonEmptyOutputNeedsOverwrite() throws {
        let out = root.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: out.appendingPathComponent("mine.txt"))
        let options = RunOptions(model: "/nonexistent.gguf", averageBits: 2.5, output: out.path)
        XCTAssertThrowsError(try RunPipeline(options: options) { _ in }.run()) {
            XCTAssertEqual($0 as? PipelineError, .outputNotEmpty(path: out.path))
        }
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("mine.txt"), encoding: .utf8), "keep")
    }
}
