import Model
import Formats

/// Builds the profile file's content from the profiler's measurements.
struct ProfileAssembler {
    let options: ProfilerOptions
    let split: CalibrationSplit

    func profile(identity: ModelIdentity, calibrationFile: String, calibrationSHA256: String,
                 layers: [LayerMeasurement], scores: ScoreTable, probes: [[LayerProbe]],
                 validation: [EstimatorValidation]?, clock: StageClock) -> SensitivityProfile {
        let chosen = scores[options.estimator] ?? scores[.outputError]!
        let profileLayers = layers.enumerated().map { l, layer in
            ProfileLayer(name: layer.id.weightName, block: layer.id.block,
                         kind: LinearKind(moduleName: layer.id.weightName),
                         shape: [layer.shape.rows, layer.shape.cols], parameters: layer.shape.count,
                         fusedGroup: fusedGroup(layer.id),
                         // An activation format whose group does not divide the inputs is no candidate.
                         candidates: options.formats.indices.filter { options.formats[$0].acceptsInputs(layer.shape.cols) }.map { f in
                             FormatCandidate(format: options.formats[f], score: chosen[l][f],
                                             bits: layer.bits[f], fallback: layer.fallbacks[f],
                                             estimates: Dictionary(uniqueKeysWithValues: scores.map { ($0.key.rawValue, $0.value[l][f]) }))
                         },
                         probe: probes.isEmpty ? nil : probes[l][0],
                         probes: probes.isEmpty || options.probeFormats.count < 2 ? nil : probes[l])
        }
        let calibration = CalibrationSettings(file: calibrationFile, sha256: calibrationSHA256,
                                              samples: options.sampleCount, sequenceLength: options.sequenceLength,
                                              seed: options.seed, tokens: options.sampleCount * options.sequenceLength)
        let settings = ProfilerSettings(
            scoreUnit: options.estimator.isModelLoss ? "nats/token" : options.estimator.rawValue,
            probeWindows: options.computedEstimators.contains(where: \.needsProbes) ? options.probeWindows : 0,
            probeLength: min(options.probeLength, options.sequenceLength),
            probeFormat: options.probeFormat,
            validationWindows: split.heldOut.count, validationLength: options.sequenceLength,
            calibrationStarts: split.calibrationStarts, heldOutStarts: split.heldOutStarts,
            notes: notes(layers: layers, scores: chosen),
            probeFormats: options.probeFormats.count < 2 ? nil : options.probeFormats)
        let timings = [
            StageTiming(stage: "forward", seconds: clock.forwardSeconds),
            StageTiming(stage: "quantization", seconds: clock.quantizeSeconds),
            StageTiming(stage: "scoring", seconds: clock.scoringSeconds),
            StageTiming(stage: "kl-probes", seconds: clock.probeSeconds),
            StageTiming(stage: "block-errors", seconds: clock.blockErrorSeconds),
            StageTiming(stage: "gradients", seconds: clock.gradientSeconds),
            StageTiming(stage: "validation", seconds: clock.validationSeconds),
        ]
        return SensitivityProfile(model: identity, calibration: calibration, estimator: options.estimator.rawValue,
                                  formats: options.formats.map { $0 }, layers: profileLayers,
                                  validation: validation, timings: timings, profiler: settings)
    }

    /// Facts worth reading next to the scores: formats that score exactly 0 on every layer (the
    /// model's stored grid, e.g. Q4_1 weights re-quantized as int4a/g32), and the unit of output-error.
    func notes(layers: [LayerMeasurement], scores: [[Double]]) -> [String] {
        var notes: [String] = []
        for (f, format) in options.formats.enumerated() where !layers.isEmpty && layers.allSatisfy({ $0.outputError[f] == 0 }) {
            notes.append("\(format.name) reproduces every profiled weight exactly (the model is stored on this grid), so it scores 0")
        }
        switch options.estimator {
        case .outputError:
            notes.append("output-error scores are tr(dW H dW^T)/tokens in squared activation units, not nats; use them to rank, not as loss")
        case .deltaLoss:
            notes.append("delta-loss scores are sum |dL/dW (Q(W) - W)| over \(options.gradientWindowCount) x \(options.sequenceLength) tokens, not nats; use them to rank, not as loss")
        case .fisher:
            notes.append("fisher scores are sum (dL/dy)^2 (y_q - y)^2 over \(options.gradientWindowCount) x \(options.sequenceLength) tokens, not nats; use them to rank, not as loss")
        case .calibrated, .kl:
            break
        case .fisherKL:
            notes.append("fisher-kl scores are second-order KL in nats/token over \(options.gradientWindowCount) x \(options.sequenceLength) tokens with labels drawn from the model")
        }
        let captured = options.capturedWindowCount ?? options.gradientWindowCount
        if captured < options.sampleCount {
            notes.append("output errors are over the \(captured) gradient windows (\(captured * options.sequenceLength) tokens), not all \(options.sampleCount) calibration windows")
        }
        return notes
    }
}
