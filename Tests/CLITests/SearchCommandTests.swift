import XCTest
import Foundation
import Search
import Sensitivity
import TestSupport

/// `autoscheme search` end to end: runs the built executable on a synthetic profile.
final class SearchCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("search-cli-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SyntheticProfile.make(layers: 21, seed: 5).write(to: folder.appendingPathComponent("profile.json"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }


    func run(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments, in: folder) }

    func testJSONSummaryAndPlanFile() throws {
        let result = try run(["search", "profile.json", "--avg-bits", "3.25", "--pin", "down_proj=int4/g128",
                              "-o", "plan.json", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(summary?["status"] as? String, "optimal")
        XCTAssertLessThanOrEqual(try XCTUnwrap(summary?["searched_average_bits"] as? Double), 3.25)
        XCTAssertEqual((summary?["format_counts"] as? [String: Int])?["int4/g128"].map { $0 >= 3 }, true)
        let plan = try JSONDecoder().decode(QuantizationPlan.self, from: Data(contentsOf: folder.appendingPathComponent("plan.json")))
        XCTAssertEqual(plan.layers.count, 21)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["plan.json", "profile.json"])
    }

    func testSweepWritesFrontier() throws {
        let result = try run(["search", "profile.json", "--sweep", "2.5:4.5:0.5", "--share", "none", "-o", "sweep.json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("target   achieved"), result.stdout)
        let sweep = try JSONDecoder().decode(PlanSweep.self, from: Data(contentsOf: folder.appendingPathComponent("sweep.json")))
        XCTAssertEqual(sweep.frontier.map(\.targetBits), [2.5, 3.0, 3.5, 4.0, 4.5])
    }

    func testErrorsAreOneLineWithNonZeroExit() throws {
        // --target any: the search over every profiled format at its own cost (autoround would count g64 scales).
        let infeasible = try run(["search", "profile.json", "--avg-bits", "2.0", "--target", "any", "-o", "plan.json"])
        XCTAssertNotEqual(infeasible.status, 0)
        XCTAssertEqual(infeasible.stderr.split(separator: "\n").count, 1, infeasible.stderr)
        // int2/g128 everywhere; 576-wide rows end in a short fifth group (see PlanSearchTests): 2.1354.
        XCTAssertTrue(infeasible.stderr.contains("feasible range is 2.1354"), infeasible.stderr)
        try Data("{not json".utf8).write(to: folder.appendingPathComponent("bad.json"))
        let malformed = try run(["search", "bad.json", "--avg-bits", "4", "-o", "plan.json"])
        XCTAssertNotEqual(malformed.status, 0)
        XCTAssertTrue(malformed.stderr.contains("bad.json") && malformed.stderr.contains("malformed"), malformed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("plan.json").path))
    }
}
