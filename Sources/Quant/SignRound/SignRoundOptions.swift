import Formats

/// Options of SignRound's per-layer optimisation (AutoRound's defaults).
public struct SignRoundOptions: Sendable, Equatable {
    /// Signed-gradient steps; 0 gives round-to-nearest.
    public var iterations: Int = 200
    /// Initial step size; nil means 1 / iterations (AutoRound's default). The step at iteration t
    /// (0-based) is lr x (1 - t / iterations): linear decay to 0.
    public var learningRate: Float? = nil
    /// How each step forms D Hqq (both give the same quantity up to Float summation order).
    public var stepProduct: SignRoundStepProduct = .automatic

    public init(iterations: Int = 200, learningRate: Float? = nil) {
        self.iterations = iterations
        self.learningRate = learningRate
    }

    /// The initial step size actually used.
    public var effectiveLearningRate: Float { learningRate ?? 1 / Float(max(iterations, 1)) }

    /// - Throws: `SignRoundError.invalidOptions` for negative iterations or a non-positive learning rate.
    public func validate() throws {
        guard iterations >= 0 else { throw SignRoundError.invalidOptions(reason: "iterations must be >= 0, got \(iterations)") }
        if let lr = learningRate, !(lr > 0 && lr.isFinite) {
            throw SignRoundError.invalidOptions(reason: "learning rate must be positive and finite, got \(lr)")
        }
    }
}

/// How SignRound's step forms G = D Hqq + E: one sgemm per step, or the group partial products
/// (`SignRoundGroupProducts`, chosen automatically for int groups of 64 or more and for FP4).
public enum SignRoundStepProduct: String, Sendable, Equatable, CaseIterable {
    /// Group partial products for int groups of 64 or more and for MXFP4/NVFP4 (when they fit in
    /// 1 GiB), else the sgemm.
    case automatic
    /// One sgemm of out x in x in per step.
    case sgemm
    /// `SignRoundGroupProducts` for every tunable layer.
    case groupPartials = "group-partials"
}

/// What SignRound's loss covers.
public enum SignRoundScope: String, Codable, Sendable, CaseIterable {
    /// One linear layer at a time on its output error (exact over all calibration tokens, Gram form).
    case layer
    /// All layers of a transformer block together on the block's output MSE, minibatches of
    /// calibration samples per step (AutoRound's default).
    case block
}
