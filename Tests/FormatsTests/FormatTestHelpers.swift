import TensorCore
import TestSupport
@testable import Formats
import XCTest

/// The byte codes of a quantized tensor (fails the test for 16-bit codes).
func byteCodes(_ q: QuantizedTensor) -> [UInt8] {
    guard case let .bytes(b) = q.codes else { XCTFail("expected byte codes"); return [] }
    return b
}

/// sum (w - w')^2 / sum w^2.
func relativeMSE(_ w: Matrix, _ wq: Matrix) -> Double {
    var num = 0.0
    for (a, b) in zip(w.data, wq.data) { num += Double(a - b) * Double(a - b) }
    return num / w.squaredNorm
}
