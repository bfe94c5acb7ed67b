import Foundation
import Formats

/// auto-round's `data_type` strings for the weight formats AutoScheme writes.
public enum AutoRoundDataType: String, Codable, Sendable, CaseIterable {
    /// Integer codes with fp16 group scales (GPTQ packing).
    case int
    /// OCP MXFP4: E2M1 elements, E8M0 scales per 32 inputs.
    case mxFP = "mx_fp"
    /// NVFP4: E2M1 elements, E4M3 scales per 16 inputs, fp32 tensor scale.
    case nvFP = "nv_fp"
    /// FP8 E4M3 (with `group_size` [128, 128]: one fp32 scale per 128 x 128 block).
    case fp
    /// Kept in 16 bits (auto-round writes `{"bits": 16, "data_type": "float"}` for unquantized layers).
    case float
}

/// auto-round's per-layer scheme (`{bits, group_size, sym, data_type}`), typed.
///
/// `group_size` is a number for group formats and `[rows, cols]` for FP8 blocks; bf16 layers carry
/// only `bits: 16` and `data_type: "float"`, as auto-round writes kept layers in `extra_config`.
public struct AutoRoundScheme: Hashable, Sendable {
    public var bits: Int
    /// Weights per scale along the input dimension; nil for 16-bit layers.
    public var groupSize: Int?
    /// FP8 block shape (rows, cols), serialized as `group_size: [rows, cols]`.
    public var block: [Int]?
    public var symmetric: Bool?
    public var dataType: AutoRoundDataType
    /// The layer's input quantization (`act_bits`, `act_data_type`, `act_group_size`, `act_dynamic`,
    /// `act_sym`), nil for weight-only layers (`act_bits: 16`).
    public var activation: ActivationScheme?

    /// The scheme auto-round uses for `format`.
    public init(_ format: QuantFormat) {
        switch format.granularity {
        case let .group(g): groupSize = g; block = nil
        case let .block(r, c): groupSize = nil; block = [r, c]
        case .perTensor, .perChannel: groupSize = nil; block = nil
        }
        bits = format.bits
        switch format.family {
        case .int: dataType = .int; symmetric = format.symmetric
        case .mxfp4: dataType = .mxFP; symmetric = true
        case .nvfp4: dataType = .nvFP; symmetric = true
        case .fp8: dataType = .fp; symmetric = true
        case .bf16: dataType = .float; symmetric = nil
        // auto-round has no ggml block types; `PlanExport.render` and the checkpoint writer refuse them first.
        case .ggml: dataType = .int; symmetric = format.symmetric
        }
        activation = format.activation
    }

    /// The format this scheme stands for.
    /// - Throws: `PlanExportError.unsupportedScheme` for combinations AutoScheme has no format for.
    public func format(layer: String) throws -> QuantFormat {
        let weights = try weightFormat(layer: layer)
        guard let a = activation else { return weights }
        guard let f = weights.with(activation: a) else {
            throw PlanExportError.unsupportedScheme(layer: layer, scheme: "\(weights.name) weights with \(a.rawValue) activations")
        }
        return f
    }

    private func weightFormat(layer: String) throws -> QuantFormat {
        let text = "bits \(bits), group_size \(block.map { "\($0)" } ?? groupSize.map(String.init) ?? "none"), data_type \(dataType.rawValue)"
        switch (dataType, bits) {
        case (.int, _):
            guard let g = groupSize, let f = try? QuantFormat.int(bits: bits, groupSize: g, symmetric: symmetric ?? true) else {
                throw PlanExportError.unsupportedScheme(layer: layer, scheme: text)
            }
            return f
        case (.mxFP, 4) where groupSize == 32: return .mxfp4
        case (.nvFP, 4) where groupSize == 16: return .nvfp4
        case (.fp, 8) where block == [128, 128]: return .fp8
        case (.float, 16), (.fp, 16): return .bf16
        default: throw PlanExportError.unsupportedScheme(layer: layer, scheme: text)
        }
    }

    /// The scheme as a JSON object (keys as auto-round spells them).
    public var jsonObject: [String: Any] { jsonObject(activationKeys: activation != nil) }

    /// With `activationKeys`, the act_* keys are written even for a weight-only layer (`act_bits: 16`),
    /// as a checkpoint holding any activation-quantized layer needs in every `extra_config` entry.
    public func jsonObject(activationKeys: Bool) -> [String: Any] {
        var o: [String: Any] = ["bits": bits, "data_type": dataType.rawValue]
        if let block { o["group_size"] = block } else if let groupSize { o["group_size"] = groupSize }
        if let symmetric { o["sym"] = symmetric }
        if let a = activation {
            o["act_bits"] = a.elementBits
            o["act_data_type"] = Self.actDataType(a)
            o["act_group_size"] = a.groupSize
            o["act_dynamic"] = true
            o["act_sym"] = true
        } else if activationKeys {
            o["act_bits"] = 16
        }
        return o
    }

    /// auto-round's `act_data_type` of each scheme (auto_round/schemes.py `MXFP4`, `NVFP4`, `FP8_BLOCK`).
    static func actDataType(_ a: ActivationScheme) -> String {
        switch a {
        case .mxfp4: return "mx_fp"
        case .nvfp4: return "nv_fp4_with_static_gs"
        case .fp8: return "fp"
        }
    }

    /// The scheme of auto-round's act_* keys; nil for 16-bit activations.
    /// - Throws: `PlanExportError.unsupportedScheme` for activations AutoScheme does not run.
    static func activation(bits: Int, dataType: String, groupSize: Int?, dynamic: Bool?, layer: String) throws -> ActivationScheme? {
        if bits >= 16 { return nil }
        let scheme: ActivationScheme?
        switch dataType {
        case "mx_fp", "mx_fp4": scheme = .mxfp4
        case "nv_fp4_with_static_gs", "nv_fp", "nv_fp4": scheme = .nvfp4
        case "fp", "fp8": scheme = .fp8
        default: scheme = nil
        }
        guard let a = scheme, a.elementBits == bits, groupSize == nil || groupSize == a.groupSize, dynamic != false else {
            throw PlanExportError.unsupportedScheme(
                layer: layer, scheme: "act_bits \(bits), act_data_type \(dataType), act_group_size \(groupSize.map(String.init) ?? "none"), "
                    + "act_dynamic \(dynamic.map { "\($0)" } ?? "none") (activations AutoScheme runs: mx_fp 4/32, nv_fp4_with_static_gs 4/16, fp 8/128, dynamic)")
        }
        return a
    }

    /// Reads a scheme from an auto-round JSON object, filling absent keys from `defaults`.
    /// - Throws: `PlanExportError.unsupportedScheme` naming `layer` for wrongly typed values.
    public init(json: [String: Any], defaults: AutoRoundScheme?, layer: String) throws {
        func bad(_ why: String) -> PlanExportError { .unsupportedScheme(layer: layer, scheme: why) }
        guard let bits = (json["bits"] as? Int) ?? defaults?.bits else { throw bad("no bits") }
        let typeText = (json["data_type"] as? String) ?? defaults?.dataType.rawValue ?? "int"
        guard let type = AutoRoundDataType(rawValue: typeText) else { throw bad("data_type \(typeText)") }
        self.bits = bits
        dataType = type
        symmetric = (json["sym"] as? Bool) ?? defaults?.symmetric
        if let pair = json["group_size"] as? [Int] {
            block = pair; groupSize = nil
        } else if let g = json["group_size"] as? Int {
            groupSize = g; block = nil
        } else {
            groupSize = defaults?.groupSize; block = defaults?.block
        }
        if bits >= 16 { groupSize = nil; block = nil; symmetric = nil; dataType = .float }
        let actBits = (json["act_bits"] as? Int) ?? defaults.map { $0.activation?.elementBits ?? 16 } ?? 16
        if actBits >= 16 {
            activation = nil
        } else {
            let actType = (json["act_data_type"] as? String) ?? defaults?.activation.map(Self.actDataType) ?? "int"
            let actGroup = (json["act_group_size"] as? Int) ?? defaults?.activation?.groupSize
            activation = try Self.activation(bits: actBits, dataType: actType, groupSize: actGroup,
                                             dynamic: json["act_dynamic"] as? Bool, layer: layer)
        }
    }
}
