import TensorCore
import XCTest

/// A matrix from literal rows.
public func matrix(_ rows: [[Float]]) -> Matrix {
    Matrix(rows: rows.count, cols: rows.first?.count ?? 0, data: rows.flatMap { $0 })
}

/// A seeded Gaussian matrix (standard deviation `sigma`).
public func gaussian(rows: Int, cols: Int, seed: UInt64, sigma: Float = 1) -> Matrix {
    var rng = SplitMix64(seed: seed)
    return Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in sigma * rng.nextGaussian() })
}

/// Asserts two float arrays are equal bit for bit (so -0.0 differs from 0.0).
public func assertBitIdentical(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    if let i = a.indices.first(where: { i in i < b.count && a[i].bitPattern != b[i].bitPattern }) {
        XCTFail("\(message): element \(i) differs: \(a[i]) vs \(b[i])", file: file, line: line)
    }
}
