import Formats
import XCTest
import Sensitivity
@testable import Search

/// `--pin REGEX=FORMAT` and `--allow REGEX=FMT,FMT,...`: split at the last `=`, both sides non-empty.
final class RuleParsingTests: XCTestCase {
    func testSplitsAtTheLastEquals() throws {
        XCTAssertEqual(try PinRule(parsing: "a=b=fp8"), PinRule(pattern: "a=b", format: "fp8"))
        XCTAssertEqual(try AllowRule(parsing: "down_proj=int4/g128,mxfp4"),
                       AllowRule(pattern: "down_proj", formats: ["int4/g128", "mxfp4"]))
    }

    func testEmptySidesOrNoEqualsAreRejectedNamingTheExpectedForm() {
        for text in ["=fp8", "q_proj=", "q_proj"] {
            XCTAssertThrowsError(try PinRule(parsing: text)) { error in
                guard case SearchError.badRule(let got, let expected) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(got, text)
                XCTAssertEqual(expected, "REGEX=FORMAT")
            }
            XCTAssertThrowsError(try AllowRule(parsing: text)) { error in
                guard case SearchError.badRule(_, let expected) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(expected, "REGEX=FMT,FMT,...")
            }
        }
    }

    func testUnknownFormatsAreRejectedNamingTheValue() {
        XCTAssertThrowsError(try PinRule(parsing: "q_proj=int5/g32")) { error in
            XCTAssertEqual((error as? QuantError)?.formatName, "int5/g32")
            XCTAssertTrue(error.localizedDescription.contains("'int5/g32'"), error.localizedDescription)
        }
        XCTAssertThrowsError(try AllowRule(parsing: "down_proj=int4/g128,fp4")) { error in
            XCTAssertEqual((error as? QuantError)?.formatName, "fp4")
        }
        // Rules are typed input: other spellings of a format are read as that format.
        XCTAssertEqual(try PinRule(parsing: "q_proj=INT4").format, "int4/g128")
    }
}
