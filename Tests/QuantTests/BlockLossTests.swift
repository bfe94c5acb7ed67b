import TensorCore
import TestSupport
@testable import Quant
import XCTest

/// The block-wise loss: mean squared error over the kept positions, with its gradient, against values computed by hand.
final class BlockLossTests: XCTestCase {
    /// Two windows of 2 positions, 2 channels; errors e = y - t by row: [1, 2], [3, -1], [0, 4], [-2, 1].
    private let y = matrix([[1, 2], [3, -1], [0, 4], [-2, 1]])
    private let t = Matrix(rows: 4, cols: 2)

    func testPlainMeanAndGradient() {
        let (loss, d) = BlockTuner.meanSquaredError(y, t)
        // (1 + 4 + 9 + 1 + 0 + 16 + 4 + 1) / 8 = 36 / 8
        XCTAssertEqual(loss, 4.5, accuracy: 1e-12)
        XCTAssertEqual(d.data, [0.25, 0.5, 0.75, -0.25, 0, 1, -0.5, 0.25])
    }

    /// Position 0 of each window of 2 left out: rows 1 and 3 only, (9 + 1 + 4 + 1) / 4.
    func testSkippedPositionsLeaveRowsOut() {
        let (loss, d) = BlockTuner.meanSquaredError(y, t, skipping: 1, of: 2)
        XCTAssertEqual(loss, 3.75, accuracy: 1e-12)
        XCTAssertEqual(d.data, [0, 0, 1.5, -0.5, 0, 0, -1, 0.5])
    }

    /// `.normalized`: targets [1, 1] (mean square 1, weight 1) and [2, 2] (mean square 4, weight 1/4);
    /// errors [1, 0] and [0, 2]: (1 * 1 + 4 / 4) / 4 = 0.5, gradient 2 w e / 4.
    func testNormalizedWeighsEachTokenByItsTargetsMeanSquare() {
        let t = matrix([[1, 1], [2, 2]]), y = matrix([[2, 1], [2, 4]])
        let w = BlockLoss.normalized.rowWeights(targets: t, skipping: 0, of: 2)
        XCTAssertEqual(w, [1, 0.25])
        let (loss, d) = BlockLoss.weightedSquaredError(y, t, rowWeights: w)
        XCTAssertEqual(loss, 0.5, accuracy: 1e-12)
        XCTAssertEqual(d.data, [0.5, 0, 0, 0.25])
        // The same errors under `.mse`: (1 + 4) / 4, the second token's gradient 4x larger.
        let (mse, dm) = BlockLoss.weightedSquaredError(y, t, rowWeights: BlockLoss.mse.rowWeights(targets: t, skipping: 0, of: 2))
        XCTAssertEqual(mse, 1.25, accuracy: 1e-12)
        XCTAssertEqual(dm.data, [0.5, 0, 0, 1])
    }

    /// `.normalized` with position 0 of the window left out: only the second token, 0.25 * 4 / 2.
    func testNormalizedWithSkippedPosition() {
        let t = matrix([[1, 1], [2, 2]]), y = matrix([[2, 1], [2, 4]])
        let w = BlockLoss.normalized.rowWeights(targets: t, skipping: 1, of: 2)
        XCTAssertEqual(w, [0, 0.25])
        let (loss, d) = BlockLoss.weightedSquaredError(y, t, rowWeights: w)
        XCTAssertEqual(loss, 0.5, accuracy: 1e-12)
        XCTAssertEqual(d.data, [0, 0, 0, 0.5])
    }
}
