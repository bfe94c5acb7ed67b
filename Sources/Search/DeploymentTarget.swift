import Formats

/// The runtime a plan is searched for: the search offers each layer only the formats that runtime
/// loads into a real kernel at the layer's shape, at the bits the runtime's checkpoint stores.
///
/// Each target is a table of `TargetRule`s (`DeploymentTarget.rules`, each citing the runtime source
/// it comes from).
public enum DeploymentTarget: String, Codable, Sendable, CaseIterable {
    /// No runtime: every profiled format, at its own cost (the search as before targets existed).
    case any
    /// transformers + auto-round 0.16.1 on CPU, loading AutoScheme's `auto_round` checkpoint.
    case autoround
    /// llm-compressor 0.14 `oneshot` with compressed-tensors 0.19, fed the `export-plan` recipe.
    case llmcompressor
    /// vLLM (CUDA) serving AutoScheme's `auto_round` checkpoint (`auto_round:auto_gptq` packing).
    case vllm
    /// llama.cpp (`llama-quantize --tensor-type-file`, GGUF): ggml block types and bf16, each layer
    /// in the type llama-quantize really stores at its row length.
    case llamacpp

    /// One line for help text and messages.
    public var summary: String {
        switch self {
        case .any: return "no runtime constraint"
        case .autoround: return "transformers + auto-round 0.16.1 CPU kernels (symmetric int, groups dividing the inputs, bf16)"
        case .llmcompressor: return "llm-compressor 0.14 / compressed-tensors 0.19 (int, MXFP4, NVFP4 in groups dividing the inputs; FP8 blocks; bf16)"
        case .vllm: return "vLLM's auto-round GPTQ kernels (int 2/3/4/8, groups dividing the inputs, bf16)"
        case .llamacpp: return "llama.cpp GGUF (ggml block types q2_K..q6_K, q4_0, q4_1, q5_0, q5_1, q8_0 in whole blocks of the row, bf16)"
        }
    }

    /// The candidate formats `profile` and `run` measure when no `--formats` is given, for a model
    /// whose linear layers have `shapes`: `QuantFormat.defaultCandidates` for the int targets;
    /// for `llamacpp` every ggml block type that some type llama.cpp stores holds at every shape
    /// (`GGMLBlockType.stored(cols:)`), then bf16. On SmolLM2 (576 and 1536 inputs) that is every
    /// type: the k-quants are stored in their fallbacks on 576 inputs (q5_K as q5_1), and a
    /// profile measures every format on every layer.
    public func defaultFormats(shapes: [TensorShape]) -> [QuantFormat] {
        guard self == .llamacpp else { return QuantFormat.defaultCandidates }
        let types = GGMLBlockType.llamaCppCandidateOrder.filter { t in shapes.allSatisfy { t.stored(cols: $0.cols) != nil } }
        return types.map { QuantFormat.ggml($0) } + [.bf16]
    }

    /// What this target does with `format` on a weight of `shape` (rows = outputs, cols = inputs):
    /// the first rule of the table that does not simply accept it decides.
    public func verdict(_ format: QuantFormat, shape: TensorShape) -> TargetVerdict {
        var result = TargetVerdict.loads
        for rule in rules {
            switch rule.check(format, shape: shape) {
            case .loads: continue
            case .refused(let reason, let fallback): return .refused(reason: reason, fallback: fallback)
            case .storedAs(let stored, let note):
                result = .storedAs(stored, note: note)
            }
        }
        return result
    }

    /// The format the checkpoint stores for `format` on `shape`, or nil when the target refuses it.
    public func storedFormat(_ format: QuantFormat, shape: TensorShape) -> QuantFormat? {
        switch verdict(format, shape: shape) {
        case .loads: return format
        case .storedAs(let stored, _): return stored
        case .refused: return nil
        }
    }

    /// `formats` plus the formats this target offers instead where one of `formats` does not load as
    /// it is at one of `shapes`, so the profile measures them: a refused format's fallback (`int2/g64`
    /// for `int2/g128` on 576 inputs under `llmcompressor`), and a stored format that loads as it is
    /// (`int2/g64` under `autoround`: it costs the bits `int2/g128` is stored in, with its own, usually
    /// lower, loss). An added format is itself checked, so a fallback's own fallback is measured
    /// too (`int2/g128` under `llamacpp`: q2_K, and q4_0 where q2_K's super-blocks do not fit).
    /// Order: `formats`, then the added ones in order of first need.
    public func profileFormats(_ formats: [QuantFormat], shapes: [TensorShape]) -> [QuantFormat] {
        var out = formats
        var next = 0
        while next < out.count {
            let format = out[next]
            next += 1
            for shape in shapes {
                let extra: QuantFormat?
                switch verdict(format, shape: shape) {
                case .loads: extra = nil
                case .refused(_, let fallback): extra = fallback
                case .storedAs(let stored, _): extra = verdict(stored, shape: shape) == .loads ? stored : nil
                }
                if let extra, !out.contains(extra) { out.append(extra) }
            }
        }
        return out
    }

    /// Whether the runtime needs fused siblings (q/k/v, gate/up) in one scheme: vLLM fuses them into
    /// one kernel and refuses differing configs (`get_layer_config` in
    /// `vllm/model_executor/layers/quantization/auto_round.py`: "Fused module ... requires consistent
    /// quant config").
    public var requiresFusedSharing: Bool { self == .vllm }

    /// One line per rule of the table: what the runtime accepts.
    public var accepts: String {
        rules.isEmpty ? "every format" : rules.map(\.summary).joined(separator: "; ")
    }
}

/// What a target does with one layer in one format.
public enum TargetVerdict: Equatable, Sendable {
    /// Loads as it is; the stored cost is the format's own.
    case loads
    /// Loads, but the checkpoint stores the layer as `stored` (same weights): the search counts
    /// `stored`'s bits. E.g. `int2/g128` on 576 inputs written as `int2/g64` with each scale repeated.
    case storedAs(QuantFormat, note: String)
    /// Not loadable; `fallback` is a format the target loads instead (with its own loss, so the profile
    /// must measure it), if any.
    case refused(reason: String, fallback: QuantFormat?)
}
