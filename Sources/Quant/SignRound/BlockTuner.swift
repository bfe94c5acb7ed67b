import Dispatch
import Model
import Formats
import TensorCore

/// What block-wise SignRound found for one block.
public struct BlockTuneResult: Sendable {
    /// The block with every planned layer replaced by its quantized weight and, when tuned, its norm
    /// weights (both of the kept iteration).
    public var weights: LlamaBlockWeights
    /// Learned parameters of each tuned layer (absent for layers only rounded or not planned).
    public var parameters: [LinearKind: SignRoundParameters]
    /// Minibatch loss (mean squared error per output element) at each iteration 0..<iterations;
    /// iteration 0 is round-to-nearest.
    public var lossHistory: [Double]
    /// Iteration whose parameters were kept (0 = round-to-nearest).
    public var bestIteration: Int
    /// Wall time of the step loop, seconds.
    public var seconds: Double
}

/// The step loop of block-wise SignRound on one transformer block (AutoRound's `quant_block`).
///
/// Every layer of the block that SignRound tunes (int, MXFP4, NVFP4) gets V, alpha, beta; fp8/bf16
/// layers of the plan are rounded to nearest once; layers outside the plan keep their weights.
/// Iteration t (0-based, t < iterations) draws `batch` samples from the sampler, runs the block with
/// the current Q(W; V, alpha, beta) on their inputs, takes the loss L (`loss`: AutoRound's
/// mean((Y - T)^2) over all output elements against the targets T, or each token's error relative to
/// its target's mean square), keeps the parameters if L is the lowest so far (the first minimum wins),
/// then back-propagates dL/dY through the block (`backwardBlock` from the forward's `BlockTape`;
/// each window on its own core, `stepGradients`) to dL/dQ of every layer and moves each layer's
/// parameters one `SignRoundUpdate` step (signed, lr_t = lr (1 - t / iterations)).
///
/// As in AutoRound, the kept iteration is chosen on each iteration's own minibatch loss (before its
/// step), so losses of different minibatches are compared, and the parameters after the last step
/// are never evaluated.
/// - Complexity: per iteration one block forward that keeps its internals (`BlockTape`) and one
///   reverse pass from them (about 2 more forwards) on batch x L tokens, plus O(parameters) elementwise work.
struct BlockTuner {
    let architecture: LlamaArchitecture
    let formats: [LinearKind: QuantFormat]
    let options: SignRoundOptions
    let sequenceLength: Int
    /// Starting clips by layer (importance-weighted RTN's); layers absent start at alpha = beta = 1.
    var startClips: [LinearKind: RoundingAdjustments] = [:]
    /// Positions at the start of every window left out of the loss (`--skip-positions`; measured on the
    /// 2.5-bit plan restricted to blocks 0-5: skipping the attention-sink position 0 changed held-out KL
    /// by 0.6%, so the default keeps every position).
    var skippedPositions = 0
    /// What the steps minimize (`BlockLoss`); the kept iteration is chosen on the same loss.
    var loss: BlockLoss = .mse
    /// The step of the block's two hidden-wide RMSNorm weights (`BlockNormStep`; factor 0 leaves them).
    var normStep = BlockNormStep(factor: 0)
    /// Which iteration's parameters are kept (`BlockKeptIteration`).
    var kept: BlockKeptIteration = .minibatchBest

    /// Whether the steps also move the block's norm weights.
    var tunesNorms: Bool { normStep.isActive }

    /// Tunes `original` for inputs `inputs` (samples x L rows) and targets `targets` (same shape).
    /// `progress(t)` is called after each iteration.
    func tune(block original: LlamaBlockWeights, names: (LinearKind) -> String, inputs: Matrix, targets: Matrix,
              sampler: inout MinibatchSampler, progress: (Int) -> Void) throws -> BlockTuneResult {
        let start = DispatchTime.now().uptimeNanoseconds
        var current = original
        var params: [LinearKind: SignRoundParameters] = [:]
        for kind in LinearKind.allCases {
            guard let format = formats[kind] else { continue }
            let w = original[kind]
            // Round-to-nearest (also the check for non-finite weights); equal to Q at V = 0, alpha = beta = 1.
            current[kind] = try format.quantizer.fakeQuantize(w, name: names(kind), adjustments: nil)
            if options.iterations > 0, var p = SignRoundParameters(format: format, weights: w) {
                if let a = startClips[kind] {
                    try p.start(from: a, name: names(kind))
                    current[kind] = p.quantized(w)
                }
                params[kind] = p
            }
        }
        var best = params, bestLoss = Double.infinity, bestIteration = 0
        var bestNorms = (current.inputNorm, current.postAttentionNorm)
        var history: [Double] = []
        let lr0 = options.effectiveLearningRate, iterations = options.iterations
        let rowWeights = loss.rowWeights(targets: targets, skipping: skippedPositions, of: sequenceLength)
        var mean = BlockParameterMean()
        for t in 0..<(params.isEmpty ? 0 : iterations) {
            let step = stepGradients(weights: current, inputs: inputs, targets: targets, rowWeights: rowWeights,
                                     picked: sampler.next())
            let loss = step.loss
            history.append(loss)
            if loss < bestLoss {
                bestLoss = loss
                bestIteration = t
                best = params
                bestNorms = (current.inputNorm, current.postAttentionNorm)
            }
            let update = SignRoundUpdate.scheduled(initialLearningRate: lr0, iteration: t, of: iterations)
            for kind in params.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                let w = original[kind]
                params[kind]!.step(weights: w, gradient: step.weights[kind]!, update: update)
                current[kind] = params[kind]!.quantized(w)
            }
            if let g = step.norms {
                normStep.apply(to: &current, original: original, gradients: g, iteration: t, of: iterations)
            }
            if kept == .average, 2 * (t + 1) > iterations { mean.add(params, norms: tunesNorms ? (current.inputNorm, current.postAttentionNorm) : nil) }
            progress(t)
        }
        if kept == .average, let (p, n) = mean.result(like: params) {
            best = p
            bestIteration = iterations
            bestNorms = n ?? bestNorms
        }
        if kept == .last, !params.isEmpty {
            best = params
            bestIteration = iterations
            bestNorms = (current.inputNorm, current.postAttentionNorm)
        }
        var out = current
        for (kind, p) in best { out[kind] = p.quantized(original[kind]) }
        (out.inputNorm, out.postAttentionNorm) = bestNorms
        return BlockTuneResult(weights: out, parameters: best, lossHistory: history, bestIteration: bestIteration,
                               seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// mean((y - t)^2) over the elements of the rows kept (accumulated in Double) and its gradient
    /// 2 (y - t) / n, 0 on the rows left out: row r is left out when r mod `length` < `skipped` (the
    /// first positions of every window of `length` rows).
    static func meanSquaredError(_ y: Matrix, _ t: Matrix, skipping skipped: Int = 0, of length: Int = 1) -> (Double, Matrix) {
        BlockLoss.weightedSquaredError(y, t, rowWeights: BlockLoss.mse.rowWeights(targets: t, skipping: skipped, of: length))
    }
}
