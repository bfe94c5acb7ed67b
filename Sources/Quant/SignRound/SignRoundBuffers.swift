import Formats
import TensorCore

/// The buffers of one layer's optimisation (`SignRoundState`), allocated once; the step loop
/// allocates nothing. W and E are copied in so every pass reads them by pointer.
///
/// Parameters come in three sets: the current ones (`v`, `alpha`, `beta`), the best so far
/// (`bestV`, ...) and the stepped ones the group partial products write (`nextV`, ...), which
/// become current by a swap of owners, no copy.
final class SignRoundBuffers {
    /// W (rows x cols).
    let w: SignRoundArray<Float>
    /// E (rows x cols), nil without quantized input.
    let e: SignRoundArray<Float>?
    var v: SignRoundArray<Float>
    var alpha: SignRoundArray<Float>
    var beta: SignRoundArray<Float>
    var bestV: SignRoundArray<Float>
    let bestAlpha: SignRoundArray<Float>
    let bestBeta: SignRoundArray<Float>
    var nextV: SignRoundArray<Float>
    var nextAlpha: SignRoundArray<Float>
    var nextBeta: SignRoundArray<Float>
    /// D = Q - W of the last forward pass (sgemm path).
    let d: SignRoundArray<Float>
    /// G = D Hqq + E of the last forward pass (sgemm path).
    let g: SignRoundArray<Float>
    /// Loss terms per row chunk of the last forward pass.
    let lossParts: SignRoundArray<Double>

    /// Parameters at V = 0, alpha = beta = 1 (round-to-nearest).
    init(layout: SignRoundLayout, weights: Matrix, crossTerm: Matrix?) {
        let n = layout.rows * layout.cols, groups = layout.groupCount
        func offsets() -> SignRoundArray<Float> { SignRoundArray(repeating: 0, count: n) }
        func clips() -> SignRoundArray<Float> { SignRoundArray(repeating: 1, count: groups) }
        w = SignRoundArray(weights.data)
        e = crossTerm.map { SignRoundArray($0.data) }
        (v, alpha, beta) = (offsets(), clips(), clips())
        (bestV, bestAlpha, bestBeta) = (offsets(), clips(), clips())
        (nextV, nextAlpha, nextBeta) = (offsets(), clips(), clips())
        (d, g) = (offsets(), offsets())
        lossParts = SignRoundArray(repeating: 0, count: rowChunks(layout.rows).chunks)
    }

    /// Keeps the current parameters as the best so far by copying them.
    func copyCurrentToBest() {
        bestV.update(from: v)
        bestAlpha.update(from: alpha)
        bestBeta.update(from: beta)
    }

    /// Keeps the current parameters as the best so far, V by a swap (the current V is about to be
    /// replaced by `takeStepped()`, so its old buffer may hold anything), alpha and beta by a copy.
    func moveCurrentToBest() {
        swap(&bestV, &v)
        bestAlpha.update(from: alpha)
        bestBeta.update(from: beta)
    }

    /// The stepped parameters become the current ones (and the old current ones the buffers the next
    /// step writes).
    func takeStepped() {
        swap(&v, &nextV)
        swap(&alpha, &nextAlpha)
        swap(&beta, &nextBeta)
    }
}
