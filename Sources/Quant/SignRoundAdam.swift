import Foundation
import TensorCore

/// How block-wise SignRound moves its parameters each step.
public enum SignRoundOptimizer: String, Codable, Sendable, CaseIterable {
    /// p -= lr sign(g) (AutoRound's SignSGD).
    case signSGD = "sign-sgd"
    /// Adam (Kingma & Ba): p -= lr m_hat / (sqrt(v_hat) + eps), m and v the bias-corrected running
    /// means of g and g^2 (beta1 0.9, beta2 0.999). Each parameter is scaled by its own gradient
    /// history, so its steps are at most about lr, like sign steps, but smoothed over minibatches.
    case adam
}

/// Adam's moments for one layer's SignRound parameters (V, alpha, beta).
public struct SignRoundAdamState: Sendable {
    var m: [[Float]], v: [[Float]]
    /// Steps taken (the bias correction's t).
    public private(set) var steps = 0
    public static let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-12

    public init(for p: SignRoundParameters) {
        m = [p.offsets, p.maxClip, p.minClip].map { [Float](repeating: 0, count: $0.count) }
        v = m
    }

    /// One Adam step of `x` (clamped to `range`) down `g`, for parameter set `k` (0 V, 1 alpha, 2 beta).
    mutating func update(_ x: inout [Float], gradient g: [Float], set k: Int, learningRate lr: Float,
                         range: ClosedRange<Float>) {
        let b1 = Self.beta1, b2 = Self.beta2, t = Float(steps)
        let c1 = 1 - pow(b1, t), c2 = 1 - pow(b2, t)
        for i in x.indices {
            m[k][i] = b1 * m[k][i] + (1 - b1) * g[i]
            v[k][i] = b2 * v[k][i] + (1 - b2) * g[i] * g[i]
            let step = lr * (m[k][i] / c1) / ((v[k][i] / c2).squareRoot() + Self.epsilon)
            x[i] = min(max(x[i] - step, range.lowerBound), range.upperBound)
        }
    }

    mutating func advance() { steps += 1 }
}

extension SignRoundParameters {
    /// One Adam step down `gradient` = dL/dQ (out x in): the straight-through gradients of V, alpha,
    /// beta (as `step`), then Adam's update with step size `learningRate`; V clamped to [-0.5, 0.5],
    /// alpha and beta to [0.5, 1] (beta moves only for int formats).
    /// - Complexity: O(out x in), no sgemm.
    public mutating func adamStep(weights w: Matrix, gradient: Matrix, learningRate: Float, state: inout SignRoundAdamState) {
        adamStep(weights: w, gradient: gradient, learningRate: learningRate, state: &state, rounding: NearestRounding.self)
    }

    /// `adamStep` with the straight-through gradients of rounding `R` (`SmoothRounding` in the tests).
    mutating func adamStep<R: SignRoundRounding>(weights w: Matrix, gradient: Matrix, learningRate: Float,
                                                 state: inout SignRoundAdamState, rounding: R.Type) {
        precondition(gradient.rows == layout.rows && gradient.cols == layout.cols && w.rows == layout.rows
                     && w.cols == layout.cols, "SignRoundParameters.adamStep: shapes differ from the layout")
        let g = backward(w, gradient: gradient, learningRate: 0, rounding: R.self)
        state.advance()
        state.update(&offsets, gradient: g.v, set: 0, learningRate: learningRate, range: -0.5...0.5)
        state.update(&maxClip, gradient: g.alpha, set: 1, learningRate: learningRate, range: 0.5...1)
        if layout.hasMinClip {
            state.update(&minClip, gradient: g.beta, set: 2, learningRate: learningRate, range: 0.5...1)
        }
    }
}
