import TensorCore
@testable import Formats
@testable import Quant
import TestSupport
import XCTest

/// SignRound's analytic straight-through gradients against finite differences of the smooth model
/// (every rounding replaced by the identity), and the Gram-form objective against the explicit one.
final class SignRoundGradientTests: XCTestCase {
    /// A layer (4 x 32), original inputs X (64 tokens) and quantized-model inputs Xq = X + 0.1 N.
    private func problem(seed: UInt64) throws -> (w: Matrix, x: Matrix, xq: Matrix, objective: LayerObjective) {
        let w = gaussian(rows: 4, cols: 32, seed: seed)
        let x = gaussian(rows: 64, cols: 32, seed: seed + 1)
        var xq = x
        let noise = gaussian(rows: 64, cols: 32, seed: seed + 2, sigma: 0.1)
        for i in xq.data.indices { xq.data[i] += noise.data[i] }
        let objective = try LayerObjective(weights: w, quantizedGram: gram(xq, xq), crossGram: gram(x, xq),
                                           originalGram: gram(x, x), tokens: 64)
        return (w, x, xq, objective)
    }

    /// E = (Yq - Y)^T Xq and c0 = ||Yq - Y||^2 from the layer's outputs give the explicit loss too;
    /// an E whose width differs from Hqq is a typed error.
    func testOutputTermObjectiveMatchesExplicitLoss() throws {
        let (w, x, xq, _) = try problem(seed: 12)
        let drift = BLAS.matmul(BLAS.linear(xq, w), .transposed, xq, .none)  // Yq^T Xq
        let base = BLAS.matmul(BLAS.linear(x, w), .transposed, xq, .none)  // Y^T Xq
        let e = Matrix(rows: w.rows, cols: w.cols, data: zip(drift.data, base.data).map { $0 - $1 })
        let c0 = explicitLoss(q: w, w: w, x: x, xq: xq) * 64
        let objective = try LayerObjective(quantizedGram: gram(xq, xq), crossTerm: e, constant: c0, tokens: 64)
        let q = try intFormat(bits: 3, group: 8, symmetric: true).quantizer.fakeQuantize(w)
        let explicit = explicitLoss(q: q, w: w, x: x, xq: xq)
        XCTAssertEqual(objective.loss(candidate: q, weights: w), explicit, accuracy: 1e-4 * explicit)
        XCTAssertThrowsError(try LayerObjective(quantizedGram: gram(xq, xq), crossTerm: Matrix(rows: 4, cols: 31),
                                                constant: 0, tokens: 64, layer: "l")) {
            guard case .gramShape(let layer, _, _)? = $0 as? SignRoundError else { return XCTFail("\($0)") }
            XCTAssertEqual(layer, "l")
        }
    }

    func testGramObjectiveMatchesExplicitLoss() throws {
        let (w, x, xq, objective) = try problem(seed: 11)
        let q = try intFormat(bits: 3, group: 8, symmetric: true).quantizer.fakeQuantize(w)
        let explicit = explicitLoss(q: q, w: w, x: x, xq: xq)
        XCTAssertEqual(objective.loss(candidate: q, weights: w), explicit, accuracy: 1e-4 * explicit)
        // c0 alone: the exact weight still sees drifted inputs.
        XCTAssertEqual(objective.loss(candidate: w, weights: w), explicitLoss(q: w, w: w, x: x, xq: xq),
                       accuracy: 1e-4 * explicit)
        let plain = try LayerObjective(gram: gram(x, x), tokens: 64)
        let plainExplicit = explicitLoss(q: q, w: w, x: x, xq: x)
        XCTAssertEqual(plain.loss(candidate: q, weights: w), plainExplicit, accuracy: 1e-4 * plainExplicit)
    }

    /// Central differences along random directions of V, alpha and beta, one direction per class.
    private func checkGradient(format: QuantFormat, seed: UInt64, clipLow: Float) throws {
        let (w, x, xq, objective) = try problem(seed: seed)
        let layout = try XCTUnwrap(SignRoundLayout(format: format, weights: w))
        let p = RandomAdjustments(weights: w.count, groups: layout.groupCount, seed: seed + 3, vRange: 0.4, clipLow: clipLow)
        let grad = kernelGradients(SmoothRounding.self, layout: layout, w: w, objective: objective,
                                   v: p.v, alpha: p.alpha, beta: p.beta)
        var rng = SplitMix64(seed: seed + 4)
        func loss(_ v: [Float], _ a: [Float], _ b: [Float]) -> Double {
            explicitLoss(q: kernelQ(SmoothRounding.self, layout: layout, w: w, v: v, alpha: a, beta: b), w: w, x: x, xq: xq)
        }
        func direction(_ n: Int) -> [Float] { (0..<n).map { _ in rng.next() & 1 == 0 ? -1 : 1 } }
        let classes: [(String, Int, Float)] = [("V", w.count, 1e-2), ("alpha", layout.groupCount, 1e-3)]
            + (layout.hasMinClip ? [("beta", layout.groupCount, 1e-3)] : [])
        for (label, n, eps) in classes {
            let u = direction(n)
            func shifted(_ base: [Float], _ s: Float) -> [Float] { zip(base, u).map { $0 + s * $1 } }
            let plus: Double, minus: Double, analytic: Double
            switch label {
            case "V":
                plus = loss(shifted(p.v, eps), p.alpha, p.beta); minus = loss(shifted(p.v, -eps), p.alpha, p.beta)
                analytic = zip(grad.v, u).reduce(0) { $0 + Double($1.0 * $1.1) }
            case "alpha":
                plus = loss(p.v, shifted(p.alpha, eps), p.beta); minus = loss(p.v, shifted(p.alpha, -eps), p.beta)
                analytic = zip(grad.alpha, u).reduce(0) { $0 + Double($1.0 * $1.1) }
            default:
                plus = loss(p.v, p.alpha, shifted(p.beta, eps)); minus = loss(p.v, p.alpha, shifted(p.beta, -eps))
                analytic = zip(grad.beta, u).reduce(0) { $0 + Double($1.0 * $1.1) }
            }
            let numeric = (plus - minus) / (2 * Double(eps))
            let relative = abs(numeric - analytic) / abs(numeric)
            XCTAssertLessThan(relative, 1e-3, "\(format.name) d/d\(label): numeric \(numeric), analytic \(analytic)")
            XCTAssertGreaterThan(abs(numeric), 1e-3, "\(format.name) d/d\(label) should not vanish")
        }
    }

    func testIntSymmetricGradientMatchesFiniteDifferences() throws {
        try checkGradient(format: intFormat(bits: 4, group: 8, symmetric: true), seed: 100, clipLow: 0.6)
    }

    func testIntAsymmetricGradientMatchesFiniteDifferences() throws {
        try checkGradient(format: intFormat(bits: 3, group: 8, symmetric: false), seed: 200, clipLow: 0.6)
    }

    func testMXFP4GradientMatchesFiniteDifferences() throws {
        try checkGradient(format: .mxfp4, seed: 300, clipLow: 0.75)
    }

    func testNVFP4GradientMatchesFiniteDifferences() throws {
        try checkGradient(format: .nvfp4, seed: 400, clipLow: 0.6)
    }

    /// The kernel's forward pass with the formats' own rounding is the format's fakeQuantize.
    func testKernelForwardIsBitIdenticalToFakeQuantize() throws {
        let w = gaussian(rows: 6, cols: 80, seed: 7, sigma: 0.05)
        let formats = [intFormat(bits: 4, group: 32, symmetric: true), intFormat(bits: 3, group: 32, symmetric: false),
                       intFormat(bits: 2, group: 64, symmetric: true), .mxfp4, .nvfp4]
        for format in formats {
            let layout = try XCTUnwrap(SignRoundLayout(format: format, weights: w))
            let p = RandomAdjustments(weights: w.count, groups: layout.groupCount, seed: 9)
            let q = kernelQ(NearestRounding.self, layout: layout, w: w, v: p.v, alpha: p.alpha, beta: p.beta)
            let adjustments = RoundingAdjustments(offsets: p.v, maxClip: p.alpha, minClip: layout.hasMinClip ? p.beta : nil)
            let reference = try format.quantizer.fakeQuantize(w, name: "w", adjustments: adjustments)
            assertBitIdentical(q.data, reference.data, format.name)
            let neutral = kernelQ(NearestRounding.self, layout: layout, w: w, v: [Float](repeating: 0, count: w.count),
                                  alpha: [Float](repeating: 1, count: layout.groupCount),
                                  beta: [Float](repeating: 1, count: layout.groupCount))
            assertBitIdentical(neutral.data, try format.quantizer.fakeQuantize(w).data, "\(format.name) RTN")
        }
        XCTAssertNil(SignRoundLayout(format: .fp8, weights: w))
        XCTAssertNil(SignRoundLayout(format: .bf16, weights: w))
    }
}
