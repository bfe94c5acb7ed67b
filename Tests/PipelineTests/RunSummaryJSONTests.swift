import Foundation
import IO
@testable import Pipeline
import XCTest

/// A run without a reference model has no KL or top-1 agreement (stored as NaN): the summary must
/// still encode, and read back with the same values.
final class RunSummaryJSONTests: XCTestCase {
    func testUndefinedKLEncodesAndReadsBack() throws {
        let summary = RunSummary(
            model: "m.gguf", targetBits: 2.5, achievedBits: 2.4998, modelBits: 3.1, predictedLoss: 3.34,
            profileReused: true, evaluationText: "alice29.txt", evaluationTokens: 511, ctx: 512, windows: 1,
            originalPPL: 20.5, quantizedPPL: 31.25, kl: .nan, top1Agree: .nan,
            stages: [.init(stage: .search, seconds: 0.5)], output: "out", files: ["plan": "out/plan.json"])
        let text = try JSONPolicy.string(summary)
        XCTAssertTrue(text.contains(#""kl" : "nan""#), text)
        let back = try JSONPolicy.decode(RunSummary.self, from: Data(text.utf8))
        XCTAssertTrue(back.kl.isNaN && back.top1Agree.isNaN)
        XCTAssertEqual(back.quantizedPPL, 31.25)
    }
}
