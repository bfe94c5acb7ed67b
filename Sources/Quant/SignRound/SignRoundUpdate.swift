/// How SignRound moves its parameters in one step: the learning-rate schedule, the update rule and
/// the ranges the parameters are clamped to. Every path that steps parameters goes through here:
/// the layer-wise sgemm loop and group partial products (`SignRoundState`), the elementwise loops
/// of int and FP4 groups (`SignRoundGroupLoops`, SIMD lanes and scalar tail alike), the alpha/beta
/// step of `SignRoundKernel`, and block-wise SignRound (`BlockTuner` through `SignRoundParameters`).
///
/// A value is the update of one iteration: its rule and its step size lr_t. To add a rule (say an
/// Adam-style one), add a case to `Rule` and its arms to `offset` and `clip`; every path picks it up.
/// The switches sit inside `@inline(__always)` functions, so with one rule they compile away and the
/// arithmetic is exactly the expression of that rule.
struct SignRoundUpdate: Sendable, Equatable {
    /// The rules SignRound can step its parameters by.
    enum Rule: Sendable, Equatable {
        /// Signed gradient descent (AutoRound): p <- clamp(p - lr_t x sign(dL/dp), range), with
        /// sign(0) = 0 (and sign(NaN) = 0), so a parameter whose gradient vanishes stays put.
        case signedGradient
    }

    /// Range of a rounding offset V: at most half a code step either way, so V can move a weight to
    /// either neighbouring code but no further.
    static let offsetRange: ClosedRange<Float> = -0.5...0.5
    /// Range of the clipping factors alpha (on the group's max) and beta (on its min): the clipped
    /// range shrinks to at most half the unclipped one and never grows.
    static let clipRange: ClosedRange<Float> = 0.5...1

    /// The rule this step follows.
    var rule: Rule = .signedGradient
    /// Step size lr_t of this iteration; 0 leaves every parameter unchanged.
    var learningRate: Float

    /// No step (gradients only).
    static let none = SignRoundUpdate(learningRate: 0)

    /// The update of iteration t (0-based) of `iterations` with initial step size `lr0`:
    /// lr_t = lr0 x (1 - t / iterations), a linear decay that would reach 0 at t = iterations.
    static func scheduled(_ rule: Rule = .signedGradient, initialLearningRate lr0: Float, iteration t: Int,
                          of iterations: Int) -> SignRoundUpdate {
        SignRoundUpdate(rule: rule, learningRate: lr0 * (1 - Float(t) / Float(max(iterations, 1))))
    }

    /// Whether this step moves the clipping factors (a step size of 0 leaves them, bit for bit).
    var movesClips: Bool { learningRate != 0 }

    /// V stepped down its gradient `g`, clamped to `offsetRange`.
    @inline(__always)
    func offset(_ v: Float, gradient g: Float) -> Float {
        switch rule {
        case .signedGradient: Self.clamp(v - learningRate * Self.sign(g), to: Self.offsetRange)
        }
    }

    /// `offset` on 8 lanes, lane for lane the same value.
    @inline(__always)
    func offset(_ v: SIMD8<Float>, gradient g: SIMD8<Float>) -> SIMD8<Float> {
        switch rule {
        case .signedGradient:
            (v - SIMD8(repeating: learningRate) * Self.sign(g))
                .clamped(SIMD8(repeating: Self.offsetRange.lowerBound), SIMD8(repeating: Self.offsetRange.upperBound))
        }
    }

    /// A clipping factor (alpha or beta) stepped down its gradient `g`, clamped to `clipRange`.
    @inline(__always)
    func clip(_ a: Float, gradient g: Float) -> Float {
        switch rule {
        case .signedGradient: Self.clamp(a - learningRate * Self.sign(g), to: Self.clipRange)
        }
    }

    /// -1, 0 or 1 (0 for 0 and NaN).
    @inline(__always)
    static func sign(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }

    /// -1, 0 or 1 per lane.
    @inline(__always)
    static func sign(_ x: SIMD8<Float>) -> SIMD8<Float> {
        SIMD8<Float>(repeating: 0).replacing(with: 1, where: x .> 0).replacing(with: -1, where: x .< 0)
    }

    /// max(x, lower) then min(., upper).
    @inline(__always)
    static func clamp(_ x: Float, to range: ClosedRange<Float>) -> Float {
        min(max(x, range.lowerBound), range.upperBound)
    }
}

extension SIMD8 where Scalar == Float {
    /// Clamped to [lo, hi] per lane: max(x, lo) then min(., hi), as the scalar code does
    /// (`pointwiseMin`/`pointwiseMax` are not inlined by the compiler).
    @inline(__always)
    func clamped(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>) -> SIMD8<Float> {
        let above = replacing(with: lo, where: self .< lo)
        return above.replacing(with: hi, where: above .> hi)
    }
}
