import Foundation
import IO
import Model
@testable import Pipeline
import XCTest

/// An evaluation whose perplexity or KL is NaN or infinite (NaN weights, a broken configuration) is an
/// error naming the quantity, never a `PPL nan` printed with exit code 0.
final class EvaluateStageFiniteTests: XCTestCase {
    private func result(_ json: String) throws -> EvaluationResult {
        try JSONPolicy.decode(EvaluationResult.self, from: Data(json.utf8))
    }

    func testNonFiniteResultsAreErrors() throws {
        XCTAssertNoThrow(try EvaluateStage.checkFinite(try result(#"{"ppl": 12.5, "kl": 0.1, "top1_agree": 0.5, "tokens": 9, "ctx": 10, "windows": 1}"#)))
        XCTAssertThrowsError(try EvaluateStage.checkFinite(try result(#"{"ppl": "nan", "tokens": 9, "ctx": 10, "windows": 1}"#))) { error in
            guard case .nonFiniteResult("PPL", let value)? = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertTrue(value.isNaN)
            XCTAssertTrue(error.localizedDescription.contains("PPL nan"), error.localizedDescription)
        }
        XCTAssertThrowsError(try EvaluateStage.checkFinite(try result(#"{"ppl": 3, "kl": "inf", "top1_agree": 0.5, "tokens": 9, "ctx": 10, "windows": 1}"#))) { error in
            XCTAssertEqual(error as? PipelineError, .nonFiniteResult(quantity: "KL", value: .infinity))
        }
    }
}
