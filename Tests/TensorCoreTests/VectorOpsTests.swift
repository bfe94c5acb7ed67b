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

    /// Half-precision rows: every term count from 0 to 13 (the eight-row, four-row and single-row
    /// paths and their mixes) over 70 lanes equals the Float sum of the widened rows. Row values are
    /// small integers (exact in half precision) and deltas powers of two, so every sum is exact and
    /// the order of summation cannot show.
    func testAddHalfRowsMatchesTheFloatSum() {
        let cols = 70, count = 14
        let values = (0..<(count * cols)).map { Float(($0 * 7) % 23) - 11 }
        let half = values.map { Float16($0) }
        let indices = (0..<Int32(count)).map { ($0 * 5) % Int32(count) }
        let deltas = (0..<count).map { Float(sign: $0 % 3 == 0 ? .minus : .plus, exponent: $0 % 4 - 1, significand: 1) }
        for terms in 0..<count {
            var y = (0..<cols).map { Float($0) * 0.5 }
            var want = y
            for t in 0..<terms {
                for k in 0..<cols { want[k] += deltas[t] * values[Int(indices[t]) * cols + k] }
            }
            VectorOps.addRows(half, stride: cols, indices: indices, deltas: deltas, terms: terms, into: &y, count: cols)
            XCTAssertEqual(y, want, "\(terms) terms")
        }
        // Hand-checked: one term, row 0 (values (7k % 23) - 11) at delta -0.5; lane 3: 1.5 - 0.5 x (21 - 11) = -3.5.
        var y = (0..<cols).map { Float($0) * 0.5 }
        VectorOps.addRows(half, stride: cols, indices: indices, deltas: deltas, terms: 1, into: &y, count: cols)
        XCTAssertEqual(y[3], -3.5)
    }

    /// The lanes where two rows differ, in order, with the differences scaled; lanes past the last
    /// multiple of 8 are listed too, and equal rows list nothing.
    func testListChanges() {
        let old: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        var new = old
        new[1] = 3; new[7] = 6; new[8] = 8; new[10] = -1
        var indices = [Int32](repeating: -1, count: 11), deltas = [Float](repeating: 0, count: 11)
        let listed = VectorOps.listChanges(new: new, old: old, count: 11, first: 100, scale: 0.5,
                                           indices: &indices, deltas: &deltas)
        XCTAssertEqual(listed, 3)
        XCTAssertEqual(Array(indices[0..<3]), [101, 107, 110])
        XCTAssertEqual(Array(deltas[0..<3]), [1, -0.5, -5.5])
        XCTAssertEqual(VectorOps.listChanges(new: old, old: old, count: 11, first: 0, scale: 1,
                                             indices: &indices, deltas: &deltas), 0)
    }
}
