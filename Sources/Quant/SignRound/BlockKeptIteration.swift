/// Which iteration's parameters block-wise SignRound keeps.
public enum BlockKeptIteration: String, Codable, Sendable, CaseIterable {
    /// The iteration whose own minibatch loss (before its step) was the lowest, the first minimum
    /// winning (AutoRound's `quantize_block`): losses of different minibatches are compared, and the
    /// parameters after the last step are never evaluated.
    case minibatchBest = "minibatch-best"
    /// The parameters after the last step (the step size has decayed to lr / iterations by then).
    case last
    /// The mean of the parameters (V, alpha, beta and tuned norms) after each step of the second half
    /// of the steps (Polyak averaging): each weight's code is the one its averaged offset rounds to.
    case average
}
