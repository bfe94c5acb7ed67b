import XCTest
@testable import TensorCore

final class TensorCoreTests: XCTestCase {
    func testMatmulAgainstHandComputedProduct() {
        let a = Matrix(rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6])
        let b = Matrix(rows: 3, cols: 2, data: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(BLAS.matmul(a, b).data, [58, 64, 139, 154])
        // x W^T with W = b^T gives the same product.
        XCTAssertEqual(BLAS.linear(a, b.transposed()).data, [58, 64, 139, 154])
        XCTAssertEqual(BLAS.matmul(a, .transposed, a, .none).data,
                       [17, 22, 27, 22, 29, 36, 27, 36, 45])
    }

    func testGramAccumulationIsSymmetricAndAdds() {
        let x: [Float] = [1, 2, 3, 4, 5, 6]  // 2 tokens x 3 features
        var h = Matrix(rows: 3, cols: 3)
        x.withUnsafeBufferPointer { BLAS.accumulateGram($0.baseAddress!, rows: 2, cols: 3, into: &h) }
        x.withUnsafeBufferPointer { BLAS.accumulateGram($0.baseAddress!, rows: 2, cols: 3, into: &h) }
        XCTAssertEqual(h.data, [34, 44, 54, 44, 58, 72, 54, 72, 90])
    }

    /// Upper-triangle accumulation over row blocks of a wider buffer (lda), then one mirror, equals the
    /// brute-force X^T X. Integer-valued inputs keep every sum exact; 130 columns cross the mirror's
    /// 64-wide tiles (a partial last tile).
    func testUpperGramBlocksThenMirrorMatchBruteForce() {
        let rows = 9, n = 130, lda = 133
        var rng = SplitMix64(seed: 11)
        let x: [Float] = (0..<(rows * lda)).map { _ in Float(Int(rng.next() % 7) - 3) }
        var h = Matrix(rows: n, cols: n)
        x.withUnsafeBufferPointer { p in
            BLAS.accumulateGramUpper(p.baseAddress!, rows: 4, cols: n, lda: lda, into: &h)
            BLAS.accumulateGramUpper(p.baseAddress! + 4 * lda, rows: rows - 4, cols: n, lda: lda, into: &h)
        }
        XCTAssertEqual(h[5, 1], 0, "the strict lower triangle is untouched before the mirror")
        BLAS.mirrorUpperTriangle(&h)
        for i in 0..<n {
            for j in 0..<n {
                let exact = (0..<rows).reduce(Float(0)) { $0 + x[$1 * lda + i] * x[$1 * lda + j] }
                XCTAssertEqual(h[i, j], exact, "(\(i), \(j))")
            }
        }
    }

    func testHalfPrecisionEdgeCases() {
        XCTAssertEqual(HalfPrecision.f16ToFloat(0x3C00), 1)
        XCTAssertEqual(HalfPrecision.f16ToFloat(0x7BFF), 65504)
        XCTAssertEqual(HalfPrecision.f16ToFloat(0x0001), 0x1p-24)  // smallest subnormal
        XCTAssertEqual(HalfPrecision.floatToF16(1 + 0x1p-11), 0x3C00)  // tie to even stays at 1
        XCTAssertEqual(HalfPrecision.floatToF16(1 + 3 * 0x1p-11), 0x3C02)  // tie to even goes up
        XCTAssertEqual(HalfPrecision.floatToF16(70000), 0x7C00)  // overflow to +inf
        XCTAssertEqual(HalfPrecision.floatToBF16(1), 0x3F80)
        XCTAssertEqual(HalfPrecision.floatToBF16(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie, even
        XCTAssertEqual(HalfPrecision.floatToBF16(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie, up to even
        XCTAssertEqual(HalfPrecision.floatToBF16(Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertTrue(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBF16(.nan)).isNaN)
        XCTAssertEqual(HalfPrecision.bf16ToFloat(0xC040), -3)
    }

    func testSplitMix64IsSeededAndMatchesReferenceSequence() {
        var g = SplitMix64(seed: 0)
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(g.next(), 0x6E78_9E6A_A1B9_65F4)
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42)
        XCTAssertEqual((0..<5).map { _ in a.nextGaussian() }, (0..<5).map { _ in b.nextGaussian() })
    }
}
