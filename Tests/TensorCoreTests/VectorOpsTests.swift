import TensorCore
import XCTest

final class VectorOpsTests: XCTestCase {
    /// 70 lanes: one 64-lane register block and a 6-lane tail; rows 2 and 0 with weights 2 and -1.
    func testAddRowsMatchesTheNaiveSum() {
        let cols = 70
        let rows = (0..<(3 * cols)).map { Float($0 % 17) - 8 }
        var y = (0..<cols).map { Float($0) * 0.5 }
        var want = y
        for k in 0..<cols { want[k] += 2 * rows[2 * cols + k] - rows[k] }
        let indices: [Int32] = [2, 0], deltas: [Float] = [2, -1]
        VectorOps.addRows(rows, stride: cols, indices: indices, deltas: deltas, terms: 2, into: &y, count: cols)
        XCTAssertEqual(y, want)
        // Hand-checked lanes: y[0] = 0 + 2 * (140 % 17 - 8) - (0 - 8) = 2 * -4 + 8 = 0; y[69] = 34.5 + 2 * (209 % 17 - 8) - (69 % 17 - 8).
        XCTAssertEqual(y[0], 0)
        XCTAssertEqual(y[69], 34.5 + 2 * -3 - -7)
        var untouched = y
        VectorOps.addRows(rows, stride: cols, indices: indices, deltas: deltas, terms: 0, into: &untouched, count: cols)
        XCTAssertEqual(untouched, y)
    }

    /// With `accumulating`, the updated y is also added into z at the given scale, in the register
    /// block and in the tail, and with no terms (y unchanged, z += a y still).
    func testAddRowsAccumulatesTheUpdatedRow() {
        let cols = 70
        let rows = (0..<(3 * cols)).map { Float($0 % 17) - 8 }
        let indices: [Int32] = [2, 0], deltas: [Float] = [2, -1]
        for terms in [0, 2] {
            var y = (0..<cols).map { Float($0) * 0.5 }
            var z = [Float](repeating: 1, count: cols)
            var updated = y
            VectorOps.addRows(rows, stride: cols, indices: indices, deltas: deltas, terms: terms, into: &updated, count: cols)
            let want = updated.map { 1 + 0.25 * $0 }
            z.withUnsafeMutableBufferPointer { pz in
                VectorOps.addRows(rows, stride: cols, indices: indices, deltas: deltas, terms: terms, into: &y, count: cols,
                                  accumulating: (0.25, pz.baseAddress!))
            }
            XCTAssertEqual(y, updated)
            XCTAssertEqual(z, want)
            // Lane 69 with both terms: y = 35.5 (see above), z = 1 + 0.25 x 35.5.
            if terms == 2 { XCTAssertEqual(z[69], 9.875) }
        }
    }

    func testAddScaled() {
        let x: [Float] = (0..<11).map { Float($0) }
        var y = [Float](repeating: 1, count: 11)
        VectorOps.addScaled(-0.5, x, into: &y, count: 11)
        XCTAssertEqual(y, (0..<11).map { 1 - 0.5 * Float($0) })
    }
}
