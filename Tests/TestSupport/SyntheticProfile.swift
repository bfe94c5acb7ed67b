import Foundation
import Formats
import Model
import Sensitivity
import TensorCore

/// Seeded synthetic profiles of a Llama-shaped model, for tests and benchmarks of the search.
///
/// Layers come in blocks of seven (q, k, v, o, gate, up, down) with SmolLM2-135M's shapes
/// (hidden 576, FFN 1536, 3 KV heads of 64). Scores are realistic in shape, not measured: a
/// per-layer sensitivity drawn log-normal (sigma 1) times a format curve that halves the error per
/// extra effective bit, times log-normal noise (sigma 0.15); bf16 scores 0.
public enum SyntheticProfile {
    /// One synthetic candidate format: the real format (its exact bit accounting) and the quality
    /// that drives the synthetic error curve.
    struct Format {
        let format: QuantFormat
        /// Quality in "effective bits" for the error curve (nil = lossless).
        let effectiveBits: Double?
        var name: QuantFormat { format }
    }

    static let formats: [Format] = [
        (try? QuantFormat.int(bits: 2)).map { Format(format: $0, effectiveBits: 2) },
        (try? QuantFormat.int(bits: 3)).map { Format(format: $0, effectiveBits: 3) },
        (try? QuantFormat.int(bits: 4)).map { Format(format: $0, effectiveBits: 4) },
        (try? QuantFormat.int(bits: 4, groupSize: 64, symmetric: false)).map { Format(format: $0, effectiveBits: 4.3) },
        Format(format: .mxfp4, effectiveBits: 3.8),
        Format(format: .nvfp4, effectiveBits: 4.2),
        Format(format: .fp8, effectiveBits: 7),
        Format(format: .bf16, effectiveBits: nil),
    ].compactMap { $0 }

    /// A profile with `layers` searched layers (blocks of seven, the last block possibly partial),
    /// plus a tied Q8_0-like embedding and the norms as fixed tensors.
    public static func make(layers: Int, seed: UInt64) -> SensitivityProfile {
        var rng = SplitMix64(seed: seed)
        let kinds: [LinearKind] = [.q, .k, .v, .o, .gate, .up, .down]
        let shapes: [LinearKind: [Int]] = [.q: [576, 576], .k: [192, 576], .v: [192, 576], .o: [576, 576],
                                          .gate: [1536, 576], .up: [1536, 576], .down: [576, 1536]]
        var result: [ProfileLayer] = []
        result.reserveCapacity(layers)
        for index in 0..<layers {
            let block = index / 7, kind = kinds[index % 7]
            let module = [.q, .k, .v, .o].contains(kind) ? "self_attn" : "mlp"
            let shape = shapes[kind] ?? [576, 576]
            let parameters = shape[0] * shape[1]
            let sensitivity = 0.01 * Double(expf(rng.nextGaussian()))
            let candidates = formats.map { format -> FormatCandidate in
                let noise = Double(expf(0.15 * rng.nextGaussian()))
                let score = format.effectiveBits.map { sensitivity * noise * pow2(-($0 - 2)) } ?? 0
                return FormatCandidate(format: format.name, score: score,
                                       bits: bitCost(format, parameters: parameters, rows: shape[0]))
            }
            let fused: String? = switch kind {
            case .q, .k, .v: "model.layers.\(block).self_attn.qkv_proj"
            case .gate, .up: "model.layers.\(block).mlp.gate_up_proj"
            default: nil
            }
            result.append(ProfileLayer(name: "model.layers.\(block).\(module).\(kind)_proj.weight", block: block,
                                       kind: kind, shape: shape, parameters: parameters, fusedGroup: fused,
                                       candidates: candidates))
        }
        let blocks = (layers + 6) / 7
        let fixed = [FixedTensor(name: "model.embed_tokens.weight", parameters: 49152 * 576, bits: 49152 * 576 * 17 / 2)]
            + (0..<blocks).flatMap { b in
                ["input_layernorm", "post_attention_layernorm"].map {
                    FixedTensor(name: "model.layers.\(b).\($0).weight", parameters: 576, bits: 576 * 32)
                }
            } + [FixedTensor(name: "model.norm.weight", parameters: 576, bits: 576 * 32)]
        let total = result.reduce(0) { $0 + $1.parameters } + fixed.reduce(0) { $0 + $1.parameters }
        return SensitivityProfile(
            model: ModelIdentity(path: "synthetic-\(layers)-\(seed)", architecture: "llama",
                                 fingerprint: String(seed, radix: 16), totalParameters: total, fixedTensors: fixed),
            calibration: CalibrationSettings(file: "synthetic", sha256: "", samples: 0, sequenceLength: 0,
                                             seed: seed, tokens: 0),
            estimator: "synthetic", formats: formats.map(\.name), layers: result)
    }

    /// Exact bits of a layer under both conventions, from the format's own accounting.
    static func bitCost(_ format: Format, parameters: Int, rows: Int) -> LayerBits {
        let shape = TensorShape(rows: rows, cols: parameters / rows)
        return LayerBits(storage: format.format.bitCost(shape: shape, convention: .storage).totalBits,
                         autoround: format.format.bitCost(shape: shape, convention: .autoround).totalBits)
    }

    private static func pow2(_ x: Double) -> Double { Double(exp2f(Float(x))) }
}
