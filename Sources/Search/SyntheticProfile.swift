import Foundation
import Sensitivity
import TensorCore

/// Seeded synthetic profiles of a Llama-shaped model, for tests and benchmarks of the search.
///
/// Layers come in blocks of seven (q, k, v, o, gate, up, down) with SmolLM2-135M's shapes
/// (hidden 576, FFN 1536, 3 KV heads of 64). Scores are realistic in shape, not measured: a
/// per-layer sensitivity drawn log-normal (sigma 1) times a format curve that halves the error per
/// extra effective bit, times log-normal noise (sigma 0.15); bf16 scores 0.
public enum SyntheticProfile {
    /// One synthetic candidate format: canonical name and bit accounting per weight.
    struct Format {
        let name: FormatName
        /// Code bits per weight.
        let codeBits: Int
        /// Weights sharing one scale (0 = no scales).
        let group: Int
        /// Stored bits of each group's scale (and zero point) under `storage`.
        let scaleBits: Int
        /// Bits of each group's scale/zero under auto-round's counting.
        let autoroundScaleBits: Int
        /// Quality in "effective bits" for the error curve (nil = lossless).
        let effectiveBits: Double?
    }

    static let formats: [Format] = [
        Format(name: "int2/g128", codeBits: 2, group: 128, scaleBits: 16, autoroundScaleBits: 16, effectiveBits: 2),
        Format(name: "int3/g128", codeBits: 3, group: 128, scaleBits: 16, autoroundScaleBits: 16, effectiveBits: 3),
        Format(name: "int4/g128", codeBits: 4, group: 128, scaleBits: 16, autoroundScaleBits: 16, effectiveBits: 4),
        Format(name: "int4a/g64", codeBits: 4, group: 64, scaleBits: 24, autoroundScaleBits: 20, effectiveBits: 4.3),
        Format(name: "mxfp4", codeBits: 4, group: 32, scaleBits: 8, autoroundScaleBits: 8, effectiveBits: 3.8),
        Format(name: "nvfp4", codeBits: 4, group: 16, scaleBits: 8, autoroundScaleBits: 8, effectiveBits: 4.2),
        Format(name: "fp8", codeBits: 8, group: 16384, scaleBits: 32, autoroundScaleBits: 32, effectiveBits: 7),
        Format(name: "bf16", codeBits: 16, group: 0, scaleBits: 0, autoroundScaleBits: 0, effectiveBits: nil),
    ]

    /// A profile with `layers` searched layers (blocks of seven, the last block possibly partial),
    /// plus a tied Q8_0-like embedding and the norms as fixed tensors.
    public static func make(layers: Int, seed: UInt64) -> SensitivityProfile {
        var rng = SplitMix64(seed: seed)
        let kinds: [LayerKind] = [.q, .k, .v, .o, .gate, .up, .down]
        let shapes: [LayerKind: [Int]] = [.q: [576, 576], .k: [192, 576], .v: [192, 576], .o: [576, 576],
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

    /// Exact bits of a layer: codes plus one scale per group (groups of `group` weights along a row).
    static func bitCost(_ format: Format, parameters: Int, rows: Int) -> LayerBits {
        guard format.group > 0 else { return LayerBits(storage: parameters * format.codeBits, autoround: parameters * format.codeBits) }
        let groups = (parameters + format.group - 1) / format.group
        return LayerBits(storage: parameters * format.codeBits + groups * format.scaleBits,
                       autoround: parameters * format.codeBits + groups * format.autoroundScaleBits)
    }

    private static func pow2(_ x: Double) -> Double { Double(exp2f(Float(x))) }
}
