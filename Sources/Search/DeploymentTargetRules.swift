import Formats

/// What happens to a group format whose group does not divide the layer's inputs.
public enum GroupMismatch: Hashable, Sendable {
    /// AutoScheme's checkpoint writer stores the layer in the largest supported group dividing both
    /// the group and the inputs, each scale and zero point repeated (`AutoRoundCheckpointGroups`):
    /// same weights and loss, the stored group's bits.
    case writerRegroups
    /// The runtime refuses the layer; the target offers the largest supported smaller group dividing
    /// the inputs instead, a different format with its own loss (the profile measures it).
    case smallerGroup
}

/// One constraint of a runtime's kernels on a layer (shape: rows = outputs, cols = inputs) in a format.
/// The tables in `DeploymentTarget.rules` cite the runtime source each rule comes from.
public enum TargetRule: Hashable, Sendable {
    /// Only these families load: `weightOnly` with float activations, `withActivations` in their
    /// activation-quantized form (W4A4 `nvfp4-a4`, W8A8 `fp8-a8`).
    case families([FormatFamily], withActivations: [FormatFamily] = [])
    /// Int layers load only symmetric (no kernel reads the zero points as the checkpoint stores them).
    case symmetricIntOnly
    /// Layers of `families` need `inputs % n == 0`.
    case inputsMultiple(of: Int, families: [FormatFamily])
    /// Layers of `families` need `outputs % n == 0`.
    case outputsMultiple(of: Int, families: [FormatFamily])
    /// Int layers need `outputs % numerator(32 / bits)` == 0 (GPTQ packs `32 / bits` codes per word
    /// along the outputs of `qzeros`): 16 for 2 bits, 32 for 3, 8 for 4, 4 for 8.
    case outputsMultipleOfPackFactor
    /// Layers of `families` in groups need `inputs % group == 0`; `otherwise` says what then.
    case groupDividesInputs(families: [FormatFamily], otherwise: GroupMismatch)
    /// Only ggml block types and bf16 load; every other format is refused with the nearest ggml type
    /// that fits the layer as fallback (`GGMLBlockType.nearest(to:)`).
    case ggmlTypesAndBF16Only
    /// A ggml type needs `inputs % block == 0` (256 for k-quants, 32 for the others); otherwise it is
    /// refused with the type llama-quantize stores instead as fallback (`GGMLBlockType.llamaCppStored`).
    case ggmlWholeBlocks

    /// What the rule asks, for messages and help.
    public var summary: String {
        switch self {
        case let .families(list, activated):
            return "formats " + list.map(\.rawValue).joined(separator: "/")
                + (activated.isEmpty ? "" : ", with quantized activations " + activated.map(\.rawValue).joined(separator: "/"))
        case .symmetricIntOnly: return "symmetric int only"
        case let .inputsMultiple(n, list): return "\(list.map(\.rawValue).joined(separator: "/")) inputs % \(n) == 0"
        case let .outputsMultiple(n, list): return "\(list.map(\.rawValue).joined(separator: "/")) outputs % \(n) == 0"
        case .outputsMultipleOfPackFactor: return "int outputs % (32 / gcd(32, bits)) == 0"
        case let .groupDividesInputs(list, otherwise):
            let then = otherwise == .writerRegroups ? "else written in a smaller group, same weights" : "else a smaller group"
            return "\(list.map(\.rawValue).joined(separator: "/")) inputs % group == 0 (\(then))"
        case .ggmlTypesAndBF16Only: return "ggml block types and bf16 only"
        case .ggmlWholeBlocks: return "ggml inputs % block == 0 (256 for k-quants; else the type llama-quantize stores instead)"
        }
    }

    /// This rule's verdict on `format` at `shape`.
    public func check(_ format: QuantFormat, shape: TensorShape) -> TargetVerdict {
        switch self {
        case let .families(list, activated):
            if format.activation != nil {
                return activated.contains(format.family) ? .loads
                    : .refused(reason: "\(format.name) (quantized activations) is not loadable (\(summary))", fallback: nil)
            }
            return list.contains(format.family) ? .loads
                : .refused(reason: "\(format.family.rawValue) is not loadable (\(summary))", fallback: nil)
        case .symmetricIntOnly:
            return format.family != .int || format.symmetric ? .loads
                : .refused(reason: "asymmetric int is not loadable (\(summary))", fallback: nil)
        case let .inputsMultiple(n, list):
            return !list.contains(format.family) || shape.cols % n == 0 ? .loads
                : .refused(reason: "\(shape.cols) inputs are not a multiple of \(n)", fallback: nil)
        case let .outputsMultiple(n, list):
            return !list.contains(format.family) || shape.rows % n == 0 ? .loads
                : .refused(reason: "\(shape.rows) outputs are not a multiple of \(n)", fallback: nil)
        case .outputsMultipleOfPackFactor:
            let n = 32 / gcd(32, format.bits)
            return format.family != .int || shape.rows % n == 0 ? .loads
                : .refused(reason: "\(shape.rows) outputs are not a multiple of \(n) (\(format.bits)-bit packing)", fallback: nil)
        case let .groupDividesInputs(list, otherwise):
            return groupCheck(format, shape: shape, families: list, otherwise: otherwise)
        case .ggmlTypesAndBF16Only:
            return ggmlFamilyCheck(format, shape: shape)
        case .ggmlWholeBlocks:
            return ggmlBlockCheck(format, shape: shape)
        }
    }

    private func ggmlFamilyCheck(_ format: QuantFormat, shape: TensorShape) -> TargetVerdict {
        let reason: String
        switch format.family {
        case .ggml, .bf16: return .loads
        case .int: reason = "llama.cpp has no grouped int type like \(format.name) (ggml types have their own blocks and scale codes)"
        case .mxfp4: reason = "llama-quantize rounds MXFP4 differently from AutoScheme's OCP MXFP4 (ties to the smaller magnitude, not to even)"
        case .nvfp4: reason = "ggml's NVFP4 (block_nvfp4: 64-weight blocks, no fp32 tensor scale) is not this NVFP4"
        case .fp8: reason = "ggml has no FP8 type"
        }
        let near = GGMLBlockType.nearest(to: format)
        let fallback = near.flatMap { $0.stored(cols: shape.cols) }.map { QuantFormat.ggml($0) } ?? .bf16
        return .refused(reason: reason + "; \(fallback.name) loads", fallback: fallback)
    }

    private func ggmlBlockCheck(_ format: QuantFormat, shape: TensorShape) -> TargetVerdict {
        guard let type = format.ggmlType, !type.fits(cols: shape.cols) else { return .loads }
        let stored = type.llamaCppStored(cols: shape.cols)
        let reason = "\(shape.cols) inputs are not a multiple of \(type.blockSize): llama-quantize stores \(type.name) as \(stored)"
        if let f = type.stored(cols: shape.cols) {
            return .refused(reason: reason + " (tensor_type_fallback)", fallback: .ggml(f))
        }
        // A row that is not whole 32-weight blocks either: llama-quantize writes F16; bf16 loads.
        return .refused(reason: reason + ", which AutoScheme does not quantize to; bf16 loads", fallback: .bf16)
    }

    private func groupCheck(_ format: QuantFormat, shape: TensorShape, families: [FormatFamily],
                            otherwise: GroupMismatch) -> TargetVerdict {
        guard families.contains(format.family), case let .group(g) = format.granularity, shape.cols % g != 0 else {
            return .loads
        }
        let reason = "\(shape.cols) inputs are not a multiple of the group \(g)"
        // Groups of IntGroupQuantizer.supportedGroupSizes below g that divide the inputs (and g, so a
        // regrouped layer repeats each scale a whole number of times).
        let smaller = IntGroupQuantizer.supportedGroupSizes.filter {
            $0 < g && shape.cols % $0 == 0 && (otherwise == .smallerGroup || g % $0 == 0)
        }.max()
        guard format.family == .int, let s = smaller,
              let other = try? QuantFormat.int(bits: format.bits, groupSize: s, symmetric: format.symmetric) else {
            return .refused(reason: reason, fallback: nil)
        }
        switch otherwise {
        case .writerRegroups:
            return .storedAs(other, note: "\(reason): written as \(other.name) with each scale repeated (same weights, \(other.name)'s bits)")
        case .smallerGroup:
            return .refused(reason: reason + "; \(other.name) loads", fallback: other)
        }
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

extension DeploymentTarget {
    /// The target's rules, checked in order (the first refusal decides).
    public var rules: [TargetRule] {
        switch self {
        case .any: return []
        case .autoround: return Self.autoRoundRules
        case .llmcompressor: return Self.llmCompressorRules
        case .vllm: return Self.vllmRules
        case .llamacpp: return Self.llamaCppRules
        }
    }

    /// transformers 5.24 + auto-round 0.16.1 on CPU (site-packages of the pinned versions; Guides/Export.md,
    /// "What auto-round loads").
    static let autoRoundRules: [TargetRule] = [
        // auto_round/inference/backend.py: `auto_round:torch_mxfp4` / `torch_nvfp4` need act_bits 4
        // (W4A4, `auto_round:llm_compressor` packing), the only FP8 backend takes FP8_STATIC: weight-only
        // MXFP4, NVFP4 and 128x128-block FP8 have no kernel; W4A4 MXFP4 and NVFP4 do. One packing
        // format per checkpoint (convert_model.py `convert_hf_model`), and FP4's differs from the int
        // layers': the search keeps a plan to one of the two (`PlanSearch`).
        .families([.int, .bf16], withActivations: [.mxfp4, .nvfp4]),
        // backend.py: `auto_round:torch_zp`, the CPU kernel for `auto_round:auto_gptq` packing (what
        // AutoRoundQuantizationConfig writes for an int checkpoint), has `sym=[True]`.
        .symmetricIntOnly,
        // backend.py `exllamav2_feature_checker` (= feature_multiply_checker_group_size with
        // in_feature_multiplier 32, out_feature_multiplier 32): in % 32, out % 32, in % group.
        .inputsMultiple(of: 32, families: [.int]),
        .outputsMultiple(of: 32, families: [.int]),
        // Same checker, in % group_size == 0; Export/AutoRoundCheckpointGroups.swift writes such a
        // layer in the largest group dividing both (g128 on 576 inputs -> g64, scales repeated).
        .groupDividesInputs(families: [.int], otherwise: .writerRegroups),
    ]

    /// llm-compressor 0.14.0.1 `oneshot` + compressed-tensors 0.19.0 (site-packages of the pinned versions).
    static let llmCompressorRules: [TargetRule] = [
        // compressed_tensors/quantization/quant_scheme.py presets W2A16 ... W8A16, W4A16_ASYM, MXFP4A16,
        // NVFP4A16, FP8_BLOCK; compressors/pack_quantized/helpers.py `pack_to_int32` packs num_bits
        // 1..8; bf16 layers go to the recipe's `ignore`. Every family loads.
        // quant_scheme.py also has the W4A4 NVFP4 and MXFP4 presets and FP8 W8A8 (input_activations).
        .families([.int, .mxfp4, .nvfp4, .fp8, .bf16], withActivations: [.mxfp4, .nvfp4, .fp8]),
        // llmcompressor/modifiers/quantization/group_size_validation.py: GROUP and TENSOR_GROUP
        // strategies (int, MXFP4 group 32, NVFP4 tensor_group 16) raise at initialize unless
        // columns % group_size == 0; BLOCK (FP8 128x128) is not checked (strategy_cdiv, strict=False).
        // oneshot quantizes itself, so a smaller group is a different format with its own loss.
        .groupDividesInputs(families: [.int, .mxfp4, .nvfp4], otherwise: .smallerGroup),
    ]

    /// vLLM serving AutoScheme's auto_round checkpoint on CUDA.
    static let vllmRules: [TargetRule] = [
        // vllm/model_executor/layers/quantization/auto_round.py `AutoRoundConfig`: SUPPORTED_DTYPES
        // {"int"}, SUPPORTED_BITS {2, 3, 4, 8}, packing auto_round:auto_gptq / auto_awq; layers with
        // bits 16 in extra_config run UnquantizedLinearMethod.
        .families([.int, .bf16]),
        // vllm/model_executor/layers/quantization/gptq.py `GPTQLinearMethod.create_weights` (what
        // auto_round.py uses when Marlin does not apply; utils/marlin_utils.py needs in % 128 and
        // out % 64, which 576-wide layers miss): input_size_per_partition % group_size == 0, else
        // "The input size is not aligned with the quantized weight shape"; the writer regroups.
        .groupDividesInputs(families: [.int], otherwise: .writerRegroups),
        // gptq.py: output_size_per_partition % pack_factor.numerator == 0 (pack_factor = Fraction(32, bits)).
        .outputsMultipleOfPackFactor,
    ]
}

extension DeploymentTarget {
    /// llama.cpp as vendored by the llama-cpp-python 0.3.36 sdist (commit 0c1e570): `llama-quantize
    /// --tensor-type-file` on an F16 GGUF.
    static let llamaCppRules: [TargetRule] = [
        // src/llama-quant.cpp `llama_tensor_get_type`: a tensor-type pattern's ggml type is what the
        // tensor is stored in (ggml types only; `ggml_quantize_chunk` quantizes each row with the type's
        // reference quantizer). AutoScheme's ggml formats are bit-exact with those quantizers
        // (Guides/Formats); BF16 is GGML_TYPE_BF16, stored as it is (block size 1). ggml's MXFP4
        // (`quantize_row_mxfp4_ref`) has the OCP grid but rounds ties to the smaller magnitude and
        // takes the exponent from floorf(log2f(amax)), so llama-quantize's values differ from
        // AutoScheme's OCP MXFP4 (Guides/Formats/GGML.md, MXFP4); ggml's NVFP4 (ggml-common.h
        // block_nvfp4) has no fp32 tensor scale, and ggml has no grouped int or FP8 type.
        .ggmlTypesAndBF16Only,
        // src/llama-quant.cpp `tensor_type_fallback`: when ne[0] (the inputs) % ggml_blck_size(type)
        // != 0 it stores q2_K and q3_K as q4_0, q4_K as q5_0, q5_K as q5_1, q6_K as q8_0, and F16
        // when the fallback does not fit either. A plan names the stored type itself, so the
        // tensor-type file is applied with no replacement and the plan's loss is the stored type's.
        .ggmlWholeBlocks,
    ]
}

extension GGMLBlockType {
    /// The order of the ggml types in `DeploymentTarget.defaultFormats`: by bits per weight
    /// (q2_K 2.625, q3_K 3.4375, q4_0 and q4_K 4.5, q4_1 5, q5_0 and q5_K 5.5, q5_1 6, q6_K 6.5625, q8_0 8.5).
    public static let llamaCppCandidateOrder: [GGMLBlockType] = [.q2_K, .q3_K, .q4_0, .q4_K, .q4_1, .q5_0, .q5_K, .q5_1, .q6_K, .q8_0]

    /// The ggml type nearest to a format llama.cpp cannot store: int2 q2_K, int3 q3_K, int4 q4_K,
    /// int8 q8_0 (same code width), mxfp4 and nvfp4 q4_0 (4-bit codes in 32-weight blocks, one scale
    /// each), fp8 q8_0; the type itself for a ggml format; nil for bf16.
    public static func nearest(to format: QuantFormat) -> GGMLBlockType? {
        switch format.family {
        case .ggml: return format.ggmlType
        case .int:
            switch format.bits {
            case 2: return .q2_K
            case 3: return .q3_K
            case 4: return .q4_K
            default: return .q8_0
            }
        case .mxfp4, .nvfp4: return .q4_0
        case .fp8: return .q8_0
        case .bf16: return nil
        }
    }

    /// ggml's name of the type llama-quantize stores for this type on rows of `cols` weights
    /// (`tensor_type_fallback` in src/llama-quant.cpp): this type when the row is whole blocks,
    /// else its fallback when that fits (q5_1 for q5_K), else "f16".
    public func llamaCppStored(cols: Int) -> String { stored(cols: cols)?.name ?? "f16" }
}
