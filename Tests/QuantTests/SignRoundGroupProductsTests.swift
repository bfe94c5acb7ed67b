import TensorCore
@testable import Formats
@testable import Quant
import XCTest

/// The group partial products must give the G = D Hqq + E the sgemm gives, step after step.
final class SignRoundGroupProductsTests: XCTestCase {
    /// G and D from the products after each of several random parameter sets (each changes many
    /// codes and every scale) equal the explicit sgemm, and an unchanged parameter set changes no code.
    func testProductsTrackTheSgemmThroughChangingParameters() throws {
        let formats = [intFormat(bits: 2, group: 32, symmetric: true), intFormat(bits: 3, group: 64, symmetric: false),
                       try QuantFormat(parsing: "int4/g128"), .mxfp4, .nvfp4]
        for (k, format) in formats.enumerated() {
            for quantizedInput in [false, true] {
                let (w, objective) = try correlatedLayer(seed: 900 + UInt64(k), quantizedInput: quantizedInput)
                let layout = try XCTUnwrap(SignRoundLayout(format: format, weights: w))
                let kernel = SignRoundKernel<NearestRounding>(layout: layout)
                let stepGram = SignRoundStepGram(objective.gram)
                var products = SignRoundGroupProducts(layout: layout, weights: w, objective: objective, gram: stepGram)
                var d = [Float](repeating: 0, count: w.count), g = d
                var changedBefore = 0
                for trial in 0..<4 {
                    let p = RandomAdjustments(weights: w.count, groups: layout.groupCount, seed: 40 + UInt64(trial),
                                              vRange: trial == 0 ? 0 : 0.5)
                    for repeatSame in [false, true] {
                        let terms = pass(&products, kernel, w: w, objective: objective, parameters: p, d: &d, g: &g)
                        XCTAssertEqual(terms, zip(d, g).enumerated().reduce(0.0) { sum, item in
                            sum + Double(item.element.0 * (item.element.1 + (objective.crossTerm?.data[item.offset] ?? 0)))
                        }, accuracy: 1e-4 * abs(terms), "the pass's loss terms are sum(D .* (G + E))")
                        if repeatSame {
                            XCTAssertEqual(products.rowUpdates, changedBefore, "\(format.name): same parameters, same codes")
                        } else if trial > 0 {
                            XCTAssertGreaterThan(products.rowUpdates, changedBefore, "\(format.name): new parameters move codes")
                        }
                        changedBefore = products.rowUpdates
                    }
                    let q = kernelQ(NearestRounding.self, layout: layout, w: w, v: p.v, alpha: p.alpha, beta: p.beta)
                    var dm = q
                    for i in dm.data.indices { dm.data[i] -= w.data[i] }
                    var want = BLAS.matmul(dm, stepGram.widened)
                    if let e = objective.crossTerm { for i in want.data.indices { want.data[i] += e.data[i] } }
                    let scale = want.data.reduce(Float(0)) { max($0, $1.magnitude) }
                    let label = "\(format.name) quantized input \(quantizedInput) trial \(trial)"
                    XCTAssertEqual(d, dm.data, label)
                    let worst = zip(g, want.data).reduce(Float(0)) { max($0, ($1.0 - $1.1).magnitude) }
                    XCTAssertLessThan(worst, 1e-4 * scale, label)
                }
            }
        }
    }

    /// The optimiser takes the same path with either product: the first steps' losses agree to Float
    /// summation order, and the kept loss ends within 1% (sign choices of near-zero gradients may part
    /// the trajectories later).
    func testOptimiserAgreesWithTheSgemmPath() throws {
        for (k, format) in [try QuantFormat(parsing: "int3/g32"), try QuantFormat(parsing: "int4a/g64"), .mxfp4, .nvfp4].enumerated() {
            let (w, objective) = try correlatedLayer(seed: 700 + UInt64(k), quantizedInput: true)
            var options = SignRoundOptions(iterations: 30)
            options.stepProduct = .sgemm
            let viaSgemm = try SignRound.optimize(weights: w, format: format, objective: objective, options: options)
            options.stepProduct = .groupPartials
            let viaProducts = try SignRound.optimize(weights: w, format: format, objective: objective, options: options)
            XCTAssertNil(viaSgemm.rowUpdatesPerStep)
            XCTAssertGreaterThan(try XCTUnwrap(viaProducts.rowUpdatesPerStep), 0)
            for t in 0..<5 {
                XCTAssertEqual(viaProducts.lossHistory[t], viaSgemm.lossHistory[t],
                               accuracy: 1e-5 * viaSgemm.lossHistory[t], "\(format.name) iteration \(t)")
            }
            XCTAssertEqual(viaProducts.bestLoss, viaSgemm.bestLoss, accuracy: 0.01 * viaSgemm.bestLoss, format.name)
            // Measured at 30 iterations: int cuts the error by 9-10% on these layers, MXFP4 by 0.05%.
            XCTAssertLessThan(viaProducts.bestLoss, (format.family == .int ? 0.95 : 1) * viaProducts.rtnLoss, format.name)
        }
    }

    /// One pass without a step at the parameters `p`, D and G written out.
    private func pass(_ products: inout SignRoundGroupProducts, _ kernel: SignRoundKernel<NearestRounding>, w: Matrix,
                      objective: LayerObjective, parameters p: RandomAdjustments, d: inout [Float], g: inout [Float]) -> Double {
        products.setParameters(kernel, w: w.data, v: p.v, alpha: p.alpha, beta: p.beta)
        return d.withUnsafeMutableBufferPointer { pd in
            g.withUnsafeMutableBufferPointer { pg in
                objective.crossTerm.map { e in
                    e.data.withUnsafeBufferPointer { pe in
                        products.pass(kernel, w: w.data, e: pe.baseAddress!, v: p.v, alpha: p.alpha,
                                      beta: p.beta, target: nil, inspect: (pd.baseAddress!, pg.baseAddress!))
                    }
                } ?? products.pass(kernel, w: w.data, e: nil, v: p.v, alpha: p.alpha,
                                   beta: p.beta, target: nil, inspect: (pd.baseAddress!, pg.baseAddress!))
            }
        }
    }

    func testAutomaticChoice() throws {
        let w = Matrix(rows: 8, cols: 128)
        let g64 = try XCTUnwrap(SignRoundLayout(format: try QuantFormat(parsing: "int4/g64"), weights: w))
        XCTAssertTrue(SignRoundGroupProducts.pays(for: g64))
        XCTAssertFalse(SignRoundGroupProducts.pays(for: try XCTUnwrap(SignRoundLayout(format: try QuantFormat(parsing: "int4/g32"), weights: w))))
        // FP4 formats keep Q itself, one partial product per row (two sets of 8 x 128 Floats).
        let mx = try XCTUnwrap(SignRoundLayout(format: .mxfp4, weights: w))
        XCTAssertTrue(SignRoundGroupProducts.pays(for: mx))
        XCTAssertTrue(SignRoundGroupProducts.pays(for: try XCTUnwrap(SignRoundLayout(format: .nvfp4, weights: w))))
        XCTAssertTrue(SignRoundGroupProducts.pays(for: mx, memoryLimit: 2 * 8 * 128 * 4))
        XCTAssertFalse(SignRoundGroupProducts.pays(for: mx, memoryLimit: 2 * 8 * 128 * 4 - 1))
        XCTAssertTrue(SignRoundGroupProducts.holdsValues(mx))
        XCTAssertFalse(SignRoundGroupProducts.holdsValues(g64))
        // Two sets of 8 rows x 2 groups x 128 columns of Floats.
        XCTAssertTrue(SignRoundGroupProducts.pays(for: g64, memoryLimit: 2 * 8 * 2 * 128 * 4))
        XCTAssertFalse(SignRoundGroupProducts.pays(for: g64, memoryLimit: 2 * 8 * 2 * 128 * 4 - 1))
    }
}
