/// The activation (layer input) quantization of AutoRound's W4A4 and W8A8 schemes, as applied at
/// inference: each token row of a linear layer's input is split into groups of `groupSize`
/// consecutive input features, and each group is quantized and dequantized before the matrix product.
/// See `Guides/Formats/Activations.md` for the sources and the checkpoint keys.
public enum ActivationScheme: String, Codable, Sendable, CaseIterable {
    /// MXFP4 activations (AutoRound `MXFP4`: `act_data_type "mx_fp"`, `act_bits 4`, `act_group_size 32`,
    /// `act_dynamic true`, `act_sym true`): E2M1 elements, one E8M0 (power-of-two) scale per 32 inputs,
    /// computed from each group at run time; nothing is calibrated or stored.
    case mxfp4
    /// NVFP4 activations (AutoRound `NVFP4`: `act_data_type "nv_fp4_with_static_gs"`, `act_bits 4`,
    /// `act_group_size 16`, `act_dynamic true`, `act_sym true`): E2M1 elements, one E4M3 scale per
    /// 16 inputs computed at run time, divided by a static per-layer FP32 global scale that is
    /// calibrated once and stored in the checkpoint as `input_global_scale` (448 * 6 / calibration amax).
    case nvfp4
    /// FP8 activations (AutoRound `FP8_BLOCK`: `act_data_type "fp"`, `act_bits 8`, `act_group_size 128`,
    /// `act_dynamic true`, `act_sym true`): E4M3 elements, one FP32 scale amax / 448 per 128 inputs of a
    /// token, computed at run time; nothing is calibrated or stored.
    case fp8

    /// Inputs of one token row that share a scale.
    public var groupSize: Int {
        switch self {
        case .mxfp4: return 32
        case .nvfp4: return 16
        case .fp8: return 128
        }
    }

    /// Bits per element code.
    public var elementBits: Int {
        switch self {
        case .mxfp4, .nvfp4: return 4
        case .fp8: return 8
        }
    }

    /// Whether the scheme needs a calibrated per-layer value (`ActivationQuantizer.inputGlobalScale`).
    public var needsCalibration: Bool { self == .nvfp4 }
}
