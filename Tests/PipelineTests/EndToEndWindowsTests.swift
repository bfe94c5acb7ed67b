import XCTest
@testable import Pipeline
import Quant

/// How many fresh windows the quantize stage draws for the end-to-end pass: what the pass wants,
/// capped by what the calibration text holds beside the calibration windows.
final class EndToEndWindowsTests: XCTestCase {
    func testFreshWindowsAreWhatThePassWantsUpToWhatTheTextHolds() throws {
        var calibrationFirst = RecipeOverrides()
        calibrationFirst.endToEndWindows = .calibrationFirst
        let d = try calibrationFirst.resolve(.default)
        // 44 steps x 2 windows, 32 of them the calibration windows: 56 fresh ones of 256 tokens.
        XCTAssertEqual(QuantizeStage.endToEndWindows(d, tokens: 100_000).count, 56)
        XCTAssertEqual(QuantizeStage.endToEndWindows(d, tokens: 100_000).wanted, 56)
        // 12,800 tokens hold 50 windows of 256: 18 besides the 32.
        XCTAssertEqual(QuantizeStage.endToEndWindows(d, tokens: 12_800).count, 18)
        XCTAssertEqual(QuantizeStage.endToEndWindows(d, tokens: 8_191).count, 0)
        var o = calibrationFirst
        o.samples = 2
        o.sequenceLength = 64
        // 4,398 tokens hold 68 windows of 64: 66 of the 86 the 44 steps would see beside the 2.
        XCTAssertEqual(QuantizeStage.endToEndWindows(try o.resolve(.default), tokens: 4_398).count, 66)
        XCTAssertEqual(QuantizeStage.endToEndWindows(try o.resolve(.default), tokens: 4_398).wanted, 86)
        o.endToEndWindows = .fresh
        XCTAssertEqual(QuantizeStage.endToEndWindows(try o.resolve(.default), tokens: 100_000).count, 88)
        // Generated windows need no text beyond the prompts: all 56 the default recipe's pass wants.
        XCTAssertEqual(try RecipeOverrides().resolve(.default).endToEnd.windows, .generated)
        XCTAssertEqual(QuantizeStage.endToEndWindows(try RecipeOverrides().resolve(.default), tokens: 8_191).count, 56)
        o.scope = .layer
        o.endToEndWindows = nil
        XCTAssertEqual(QuantizeStage.endToEndWindows(try o.resolve(.default), tokens: 100_000).count, 0, "no pass in layer scope")
    }
}
