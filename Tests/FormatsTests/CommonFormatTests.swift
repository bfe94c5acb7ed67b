import TensorCore
@testable import Formats
import TestSupport
import XCTest

/// Properties every format must have: NaN/Inf errors, fast path == reference, error ordering.
final class CommonFormatTests: XCTestCase {
    var allFormats: [QuantFormat] {
        QuantFormat.defaultCandidates + ["int2a", "int3a/g64", "int4a/g32", "int8a", "int4/g64"].map { try! QuantFormat(parsing: $0) }
    }

    func testNonFiniteInputNamesTheTensor() {
        for format in allFormats {
            for bad in [Float.nan, .infinity, -.infinity] {
                var w = gaussian(rows: 2, cols: 40, seed: 1)
                w[1, 7] = bad
                for call in ["quantize", "fakeQuantize"] {
                    XCTAssertThrowsError(call == "quantize"
                        ? try format.quantizer.quantize(weights: w, name: "layers.3.mlp.up_proj").rows
                        : try format.quantizer.fakeQuantize(w, name: "layers.3.mlp.up_proj").rows) { error in
                        guard case let QuantError.nonFiniteWeight(tensor, row, col, _) = error else {
                            return XCTFail("\(format) \(call): \(error)")
                        }
                        XCTAssertEqual([row, col], [1, 7])
                        XCTAssertEqual(tensor, "layers.3.mlp.up_proj")
                        XCTAssertTrue(error.localizedDescription.contains("layers.3.mlp.up_proj"))
                    }
                }
            }
        }
    }

    func testFastPathIsBitIdenticalToReference() throws {
        // Odd shapes exercise partial groups, blocks and 128 x 128 tiles; scaled inputs reach E4M3 subnormals.
        let shapes = [(37, 200), (130, 257), (1, 16)]
        for (rows, cols) in shapes {
            for sigma: Float in [1, 1e-3] {
                let w = gaussian(rows: rows, cols: cols, seed: UInt64(rows * cols), sigma: sigma)
                for format in allFormats {
                    let q = format.quantizer
                    assertBitIdentical(try q.fakeQuantize(w).data, try q.referenceFakeQuantize(w).data,
                                       "\(format) \(rows)x\(cols) sigma \(sigma)")
                }
            }
        }
    }

    func testRelativeErrorOrderingOnGaussianWeights() throws {
        let w = gaussian(rows: 256, cols: 1024, seed: 42)
        var mse: [String: Double] = [:]
        for format in QuantFormat.defaultCandidates {
            mse[format.name] = relativeMSE(w, try format.quantizer.fakeQuantize(w))
        }
        let order = ["int2/g128", "int3/g128", "int4/g128", "int8/g128"].map { mse[$0]! }
        XCTAssertEqual(order, order.sorted(by: >), "\(mse)")
        for fp4 in ["mxfp4", "nvfp4"] {
            XCTAssertLessThan(mse[fp4]!, mse["int3/g128"]!, fp4)
            XCTAssertGreaterThan(mse[fp4]!, mse["int8/g128"]!, fp4)
        }
        XCTAssertLessThan(mse["fp8"]!, mse["int4/g128"]!)
        XCTAssertLessThan(mse["bf16"]!, mse["fp8"]!)
        print("relative MSE on N(0,1) 256x1024:", mse.sorted { $0.value > $1.value }.map { "\($0.key)=\($0.value)" })
    }
}
