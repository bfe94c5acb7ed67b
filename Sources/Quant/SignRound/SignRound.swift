// SignRound: the signed-gradient quantizer of the quantize stage (Cheng et al. 2023, AutoRound).
//
// Map of this folder
//   SignRound.swift                  `SignRound.optimize`: layer-wise entry point (validation, RTN fallback).
//   SignRoundOptions.swift           options (iterations, lr, step product) and the scope (layer/block).
//   SignRoundResult.swift            what one layer's optimisation found.
//   SignRoundError.swift             typed errors (shapes, tokens, options).
//   SignRoundUpdate.swift            THE update rule: lr schedule, sign, clamp ranges. Change the step here.
//   LayerObjective.swift             the layer's loss in Gram form (Hqq, cross term E, constant c0).
//   SignRoundStepGram.swift          Hqq rounded to half precision, the Gram the steps descend on.
//   SignRoundLayout.swift            groups of one layer and their unclipped ranges; the format's scheme.
//   GroupScale.swift                 one group's scale/zero under alpha, beta, with their derivatives.
//   SignRoundRounding.swift          nearest (the formats' own) or smooth (identity) rounding.
//   SignRoundGroupLoops.swift        elementwise loops of one group: codes, backward + step, loss terms.
//   SignRoundKernel.swift            forward (D = Q - W) and backward passes over all groups.
//   SignRoundArray.swift             fixed buffers reached by pointer (no per-step allocation).
//   SignRoundBuffers.swift           one layer's buffers: W, E, parameters (current/best/stepped), D, G.
//   SignRoundState.swift             one layer's step loop: sgemm path or group-partial-products path.
//   SignRoundGroupProducts.swift     G = D Hqq + E kept up to date by per-group partial products.
//   SignRoundGroupProducts+Pass.swift  the fused one-pass step over those partial products.
//   SignRoundParameters.swift        V, alpha, beta of one layer stepped from an outside dL/dQ (block-wise).
//   SignRoundParametersStart.swift   those parameters started at given clips (importance-weighted RTN's).
//   SignRoundStart.swift             where block-wise clips start: rtn (1) or weighted-rtn.
//   SignRoundWeightedRTN.swift       layer-wise importance-weighted RTN (`--method rtn`) on a layer objective.
//   BlockInputEnergy.swift           per-input-channel energy of a block's inputs: the block-wise start's importance.
//   BlockTuner.swift                 block-wise step loop on one transformer block.
//   BlockSignRound.swift             block-wise SignRound over the whole model (streams, statistics).
//   MinibatchSampler.swift           AutoRound's minibatch order for block-wise steps.
//
// One layer-wise step (iteration t, `SignRoundState.run`):
//   V, alpha, beta --SignRoundKernel.forward--> Q, D = Q - W --sgemm with SignRoundStepGram--> G = D Hqq + E
//   --> loss (sum D .* (G + E) + c0) / T, kept if lowest --SignRoundKernel.backward--> dL/dV, dL/dalpha,
//   dL/dbeta (straight-through, GroupScale) --SignRoundUpdate.scheduled(t)--> V, alpha, beta of t + 1.
//   With group partial products (int groups >= 64, FP4) the forward, G, loss, backward and step are one
//   fused pass (`SignRoundGroupProducts.pass`) writing the stepped parameters into a second buffer set.
//
// One block-wise step (iteration t, `BlockTuner.tune`; before t = 0 the clips start at importance-weighted
// RTN's, `ImportanceWeightedRTN` in the folder above, unless the start is rtn):
//   MinibatchSampler --> inputs X, targets T of `batch` samples --forwardBlock with Q of every layer-->
//   Y, loss mean (Y - T)^2, kept if lowest --backwardBlock--> dL/dQ per layer
//   --SignRoundParameters.step (SignRoundKernel.backward + SignRoundUpdate.scheduled(t))--> V, alpha, beta,
//   then Q = SignRoundParameters.quantized(W) for the next forward.

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Formats
import TensorCore

/// SignRound (Cheng et al. 2023, AutoRound) on one linear layer: signed gradient descent on rounding
/// offsets V and clipping factors alpha, beta to minimise the layer's output reconstruction error.
///
/// Each iteration evaluates the objective at the current parameters (one sgemm, see
/// `LayerObjective`, or for int groups of 64 and more and for FP4 the cheaper partial products of
/// `SignRoundGroupProducts`, equal up to Float summation order; both on the step Gram
/// `SignRoundStepGram`, Hqq rounded to half precision), keeps them if the loss is the lowest so far, and moves every parameter by
/// one `SignRoundUpdate`: -lr_t x sign(gradient) with lr_t = lr (1 - t / iterations), clamping V to
/// [-0.5, 0.5] and alpha, beta to [0.5, 1]. Parameters start at V = 0, alpha = beta = 1, so iteration 0 is round-to-nearest
/// and the kept loss is never above it. The parameters after the last step are evaluated too. The
/// errors reported are measured again on the exact Gram; should the kept parameters lose to
/// round-to-nearest there (a difference below the half-precision rounding), round-to-nearest is kept.
/// fp8 and bf16 layers are only rounded to nearest: AutoRound does not tune them either, and FP8's
/// 3 mantissa bits over 128 x 128 blocks leave little to gain from rounding choices at this cost.
/// No randomness is involved: the objective is exact over all calibration tokens (no minibatches).
public enum SignRound {
    /// Whether SignRound tunes `format` (int, MXFP4, NVFP4) rather than rounding it to nearest.
    public static func tunes(_ format: QuantFormat) -> Bool {
        [.int, .mxfp4, .nvfp4].contains(format.family)
    }

    /// Optimises the quantization of `w` in `format` for `objective`.
    /// - Throws: `SignRoundError` for shapes that do not fit or bad options; `QuantError.nonFiniteWeight`.
    /// - Complexity: (iterations + 1) sgemms of out x in x in plus O(out x in) elementwise work each; with
    ///   group partial products one sgemm, then O(out x groups x in + changed codes x in) per iteration.
    public static func optimize(weights w: Matrix, format: QuantFormat, objective: LayerObjective,
                                options: SignRoundOptions = .init(), name: String = "weight") throws -> SignRoundResult {
        try options.validate()
        guard objective.gram.rows == w.cols else {
            throw SignRoundError.gramShape(layer: name, expected: "\(w.cols) x \(w.cols)",
                                           actual: "\(objective.gram.rows) x \(objective.gram.cols)")
        }
        if let e = objective.crossTerm, e.rows != w.rows || e.cols != w.cols {
            throw SignRoundError.gramShape(layer: name, expected: "cross term \(w.rows) x \(w.cols)",
                                           actual: "\(e.rows) x \(e.cols)")
        }
        try WeightCheck.requireFinite(w, name: name)
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUSeconds()
        let quantizer = format.quantizer
        guard let layout = SignRoundLayout(format: format, weights: w), options.iterations > 0 else {
            let q = try quantizer.fakeQuantize(w, name: name, adjustments: nil)
            let loss = objective.loss(candidate: q, weights: w)
            return SignRoundResult(adjustments: nil, weights: q, rtnLoss: loss, bestLoss: loss, bestIteration: 0,
                                   lossHistory: [loss], seconds: seconds(since: start),
                                   cpuSeconds: processCPUSeconds() - cpuStart,
                                   gemmFlops: 2 * Double(w.rows) * Double(w.cols) * Double(w.cols),
                                   rowUpdatesPerStep: nil)
        }
        var state = SignRoundState(layout: layout, weights: w, objective: objective)
        let history = state.run(weights: w, objective: objective, options: options)
        var adjustments = RoundingAdjustments(offsets: state.bestV, maxClip: state.bestAlpha,
                                              minClip: layout.hasMinClip ? state.bestBeta : nil)
        var q = try quantizer.fakeQuantize(w, name: name, adjustments: adjustments)
        let rtn = try quantizer.fakeQuantize(w, name: name, adjustments: nil)
        let rtnLoss = objective.loss(candidate: rtn, weights: w)
        var bestLoss = objective.loss(candidate: q, weights: w), bestIteration = state.bestIteration
        if bestLoss > rtnLoss {
            adjustments = RoundingAdjustments(offsets: [Float](repeating: 0, count: w.count),
                                              maxClip: [Float](repeating: 1, count: layout.groupCount),
                                              minClip: layout.hasMinClip ? [Float](repeating: 1, count: layout.groupCount) : nil)
            (q, bestLoss, bestIteration) = (rtn, rtnLoss, 0)
        }
        return SignRoundResult(adjustments: adjustments, weights: q, rtnLoss: rtnLoss,
                               bestLoss: bestLoss, bestIteration: bestIteration,
                               lossHistory: history, seconds: seconds(since: start),
                               cpuSeconds: processCPUSeconds() - cpuStart,
                               gemmFlops: 2 * Double(history.count) * Double(w.rows) * Double(w.cols) * Double(w.cols),
                               rowUpdatesPerStep: state.rowUpdates.map { Double($0) / Double(max(options.iterations, 1)) })
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// CPU time used by the process so far (all threads), seconds.
    public static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
