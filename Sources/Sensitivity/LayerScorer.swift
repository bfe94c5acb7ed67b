import Foundation
import Model
import Formats
import TensorCore

/// What the profiler learns about one layer from its weight and input Gram matrix alone.
public struct LayerMeasurement: Sendable {
    public let id: LayerID
    public let shape: TensorShape
    /// tr(dW H dW^T) / tokens per candidate format (same order as the formats).
    public let outputError: [Double]
    /// The same for each probe format (in `ProfilerOptions.probeFormats` order).
    public let probeOutputErrors: [Double]
    /// The first probe's output error.
    public var probeOutputError: Double { probeOutputErrors[0] }
    /// Exact bits per candidate format.
    public let bits: [LayerBits]
    /// Tiling fallback per candidate format (nil when the format tiles the shape).
    public let fallbacks: [String?]
}

/// Wall-clock seconds and flops of the profiler's stages, accumulated.
public struct StageClock: Sendable {
    public var forwardSeconds = 0.0
    public var quantizeSeconds = 0.0
    public var scoringSeconds = 0.0
    public var probeSeconds = 0.0
    /// Block forwards on the probe tokens measuring q/k/v errors at their block's output (`ErrorSite`).
    public var blockErrorSeconds = 0.0
    public var validationSeconds = 0.0
    /// The gradient passes and the `delta-loss` / `fisher` / `fisher-kl` scoring.
    public var gradientSeconds = 0.0
    /// The part of `gradientSeconds` spent scoring (fake quantizations and products per layer and format).
    public var gradientScoringSeconds = 0.0
    /// Flops of the output-error sgemms (2 out in^2 per layer and format).
    public var scoringFlops = 0.0

    public init() {}

    /// Runs `body`, adding its wall-clock time to `keyPath`.
    public mutating func time<T>(_ keyPath: WritableKeyPath<StageClock, Double>, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { self[keyPath: keyPath] += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 }
        return try body()
    }
}

/// Quantizes one layer in every candidate format and measures its Hessian-weighted output error.
public struct LayerScorer: Sendable {
    public let formats: [QuantFormat]
    public let probeFormats: [QuantFormat]

    public init(formats: [QuantFormat], probeFormats: [QuantFormat]) {
        self.formats = formats
        self.probeFormats = probeFormats
    }

    public init(formats: [QuantFormat], probeFormat: QuantFormat) {
        self.init(formats: formats, probeFormats: [probeFormat])
    }

    /// Layer `id` of `shape` ([out, in]) with output errors measured elsewhere (one per format; no
    /// probe errors): its bits and tiling fallbacks per format.
    public func describe(_ id: LayerID, shape: [Int], outputErrors: [Double]) -> LayerMeasurement {
        let shape = TensorShape(rows: shape[0], cols: shape[1])
        return LayerMeasurement(id: id, shape: shape, outputError: outputErrors, probeOutputErrors: [],
                                bits: bits(shape), fallbacks: formats.map { $0.tilingFallback(shape: shape) })
    }

    private func bits(_ shape: TensorShape) -> [LayerBits] {
        formats.map { f in
            LayerBits(storage: f.bitCost(shape: shape, convention: .storage),
                      autoround: f.bitCost(shape: shape, convention: .autoround))
        }
    }

    /// Measures layer `id` with weight `weight` (out x in) and input statistics `stats`.
    /// - Throws: `QuantError.nonFiniteWeight` naming the layer.
    /// - Complexity: one fake quantization and 2 out in^2 flops per format (plus one per probe format
    ///   that is not a candidate).
    ///
    /// An activation format's error is ||Q(X) Q(W)^T - X W^T||^2 / tokens on the raw inputs the
    /// capture kept (`LinearInputStats.rawInputs`; the Gram matrix knows X, not Q(X)) with the
    /// layer's input quantizer from `inputs` (aligned with the formats); 0 where the layer has no
    /// quantizer for it (no candidate).
    public func measure(_ id: LayerID, weight: Matrix, stats: LinearInputStats, inputs: [ActivationQuantizer?] = [],
                        clock: inout StageClock) throws -> LayerMeasurement {
        let shape = TensorShape(rows: weight.rows, cols: weight.cols)
        var scratch: [Float] = []
        func error(_ format: QuantFormat) throws -> Double {
            let quantized = try clock.time(\.quantizeSeconds) {
                try format.quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
            }
            if format.activation != nil {
                guard let f = formats.firstIndex(of: format), f < inputs.count, let q = inputs[f], let x = stats.rawInputs else { return 0 }
                return clock.time(\.scoringSeconds) { OutputError.activated(weight: weight, quantized: quantized, input: x, quantizer: q) }
            }
            clock.scoringFlops += 2 * Double(shape.rows) * Double(shape.cols) * Double(shape.cols)
            return clock.time(\.scoringSeconds) {
                OutputError.hessianWeighted(delta: OutputError.delta(quantized, weight), gram: stats.gram,
                                            tokens: stats.tokenCount, scratch: &scratch)
            }
        }
        let errors = try formats.map(error)
        let probeErrors = try probeFormats.map { p in try formats.firstIndex(of: p).map { errors[$0] } ?? error(p) }
        return LayerMeasurement(id: id, shape: shape, outputError: errors, probeOutputErrors: probeErrors,
                                bits: bits(shape), fallbacks: formats.map { $0.tilingFallback(shape: shape) })
    }
}
