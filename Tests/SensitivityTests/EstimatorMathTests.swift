import XCTest
import Formats
import TensorCore
@testable import Sensitivity

/// Output error, correlations and digests against values computed by hand or naively.
final class EstimatorMathTests: XCTestCase {
    /// tr(dW H dW^T)/T equals (1/T) sum_t ||dW x_t||^2 computed with scalar Double loops.
    func testOutputErrorEqualsNaiveSumOverTokens() {
        var rng = SplitMix64(seed: 11)
        let out = 5, cols = 8, tokens = 20
        let dW = Matrix(rows: out, cols: cols, data: (0..<(out * cols)).map { _ in rng.nextGaussian() })
        let x = Matrix(rows: tokens, cols: cols, data: (0..<(tokens * cols)).map { _ in rng.nextGaussian() })
        var gram = Matrix(rows: cols, cols: cols)
        x.data.withUnsafeBufferPointer { BLAS.accumulateGram($0.baseAddress!, rows: tokens, cols: cols, into: &gram) }
        var naive = 0.0
        for t in 0..<tokens {
            for r in 0..<out {
                var y = 0.0
                for c in 0..<cols { y += Double(dW[r, c]) * Double(x[t, c]) }
                naive += y * y
            }
        }
        naive /= Double(tokens)
        var scratch: [Float] = []
        let fast = OutputError.hessianWeighted(delta: dW, gram: gram, tokens: tokens, scratch: &scratch)
        XCTAssertEqual(fast, naive, accuracy: 1e-5 * naive)
        XCTAssertGreaterThan(naive, 1)
    }

    /// A hand example: dW = [[1, -1]], x_1 = (1, 2), x_2 = (3, 1): outputs -1 and 2, mean square 5/2.
    func testOutputErrorHandExample() {
        let dW = Matrix(rows: 1, cols: 2, data: [1, -1])
        let gram = Matrix(rows: 2, cols: 2, data: [1 + 9, 2 + 3, 2 + 3, 4 + 1])
        var scratch: [Float] = []
        XCTAssertEqual(OutputError.hessianWeighted(delta: dW, gram: gram, tokens: 2, scratch: &scratch), 2.5)
        XCTAssertEqual(OutputError.hessianWeighted(delta: dW, gram: gram, tokens: 0, scratch: &scratch), 0)
    }

    /// Pearson by hand: x = 1..5, y = [2, 4, 5, 4, 5]: sxy = 6, sxx = 10, syy = 6, r = 6 / sqrt(60).
    func testPearsonHandComputed() throws {
        let r = try XCTUnwrap(Correlation.pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]))
        XCTAssertEqual(r, 6 / 60.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(Correlation.pearson([1, 2, 3], [30, 20, 10])), -1, accuracy: 1e-15)
        XCTAssertNil(Correlation.pearson([1, 2, 3], [4, 4, 4]), "constant sample: undefined")
        XCTAssertNil(Correlation.pearson([1], [2]))
    }

    /// Spearman with ties: y's ranks are [1, 2.5, 4.5, 2.5, 4.5]; against 1..5: sxy = 7, sxx = 10,
    /// syy = 9, rho = 7 / sqrt(90) (the tie-free shortcut formula would give 0.75 instead).
    func testSpearmanWithTiesUsesAverageRanks() throws {
        XCTAssertEqual(Correlation.ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
        XCTAssertEqual(Correlation.ranks([5, 5, 5]), [2, 2, 2])
        XCTAssertEqual(Correlation.ranks([2, 4, 5, 4, 5]), [1, 2.5, 4.5, 2.5, 4.5])
        let rho = try XCTUnwrap(Correlation.spearman([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]))
        XCTAssertEqual(rho, 7 / 90.0.squareRoot(), accuracy: 1e-15)
        // Monotone but non-linear: rank correlation 1, Pearson below 1.
        XCTAssertEqual(try XCTUnwrap(Correlation.spearman([1, 2, 3, 4], [1, 10, 100, 1000])), 1, accuracy: 1e-15)
        XCTAssertLessThan(try XCTUnwrap(Correlation.pearson([1, 2, 3, 4], [1, 10, 100, 1000])), 0.9)
    }

    /// FIPS 180-4 test vectors, including a message crossing the 56-byte padding boundary.
    func testSHA256Vectors() {
        XCTAssertEqual(SHA256Digest.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256Digest.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256Digest.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// Tiling fallbacks name the dimension, the block and the partial size; exact tilings have none.
    func testTilingFallbackDescriptions() throws {
        let int4 = try QuantFormat(parsing: "int4/g128")
        let shape = TensorShape(rows: 192, cols: 576)
        let text = try XCTUnwrap(int4.tilingFallback(shape: shape))
        XCTAssertTrue(text.hasPrefix("576 inputs are not a multiple of the group 128: rows end in a partial group of 64"), text)
        XCTAssertNil(try QuantFormat(parsing: "int4/g64").tilingFallback(shape: shape))
        XCTAssertNil(QuantFormat.mxfp4.tilingFallback(shape: shape))
        let fp8 = try XCTUnwrap(QuantFormat.fp8.tilingFallback(shape: shape))
        XCTAssertTrue(fp8.hasPrefix("192 x 576 is not a multiple of the 128 x 128 block: edge blocks of 64 x 64"), fp8)
        XCTAssertNil(QuantFormat.bf16.tilingFallback(shape: shape))
    }
}
