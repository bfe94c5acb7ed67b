/// How the bits of a quantized tensor are counted. Spelled `storage` and `autoround` in profile and plan
/// files (`counting`) and on the command line (`--counting`).
public enum CostConvention: String, Codable, Sendable, CaseIterable {
    /// What the exported checkpoint really stores: codes (with padding where the format pads), scales
    /// in their stored width, zero points only where they are not implied, per-tensor scales.
    case storage
    /// AutoRound's `compute_layer_bits`: `bits * numel + groups * (scaleBits + zpBits)` where groups =
    /// `out * ceil(in / group)`; scaleBits = 16 for int and FP8, 8 for MX/NV FP4; zpBits = `bits` for every
    /// int format (symmetric too), 0 for FP; no per-tensor scale; 16-bit formats cost 16 per weight.
    case autoround
}

/// The exact cost of storing one quantized tensor, in bits, with its parts.
public struct BitCost: Hashable, Codable, Sendable {
    /// Number of weights of the tensor (unpadded).
    public var weights: Int
    /// Bits of the element codes (including padding codes when the format pads).
    public var codeBits: Int
    /// Bits of the per-group or per-block scales.
    public var scaleBits: Int
    /// Bits of stored zero points.
    public var zeroPointBits: Int
    /// Bits of per-tensor scales.
    public var globalBits: Int

    public init(weights: Int, codeBits: Int, scaleBits: Int = 0, zeroPointBits: Int = 0, globalBits: Int = 0) {
        self.weights = weights
        self.codeBits = codeBits
        self.scaleBits = scaleBits
        self.zeroPointBits = zeroPointBits
        self.globalBits = globalBits
    }

    /// All bits.
    public var totalBits: Int { codeBits + scaleBits + zeroPointBits + globalBits }
    /// totalBits / weights (0 for an empty tensor).
    public var bitsPerWeight: Double { weights == 0 ? 0 : Double(totalBits) / Double(weights) }
}
