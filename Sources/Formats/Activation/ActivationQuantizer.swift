import TensorCore

/// Fake quantization (quantize, then dequantize, in place) of a linear layer's input activations:
/// a row-major `rows` x `cols` Float matrix, one row per token, `cols` input features. Groups of
/// `scheme.groupSize` consecutive features within one token row share a scale; each group is
/// independent of every other, so the result does not depend on how tokens are batched (except
/// through NVFP4's calibrated `inputGlobalScale`, which is a constant of the layer).
///
/// The arithmetic follows auto-round 0.16.1 in fp32, operation for operation (see
/// `Guides/Formats/Activations.md`); E2M1 and E4M3 rounding are `E2M1.round` and `E4M3.round`
/// (nearest, ties to even, saturating):
///
/// - `.mxfp4` (`auto_round/data_type/mxfp.py`, `quant_mx` with `mx_fp4`): e = floor(log2(amax)) - 2
///   taken from amax's binary exponent (exact, as the OCP MX spec and compressed-tensors'
///   `generate_mx_scales`; auto-round evaluates `torch.floor(torch.log2(amax))` in fp32, whose log2
///   rounds up to an integer for amax a few ulps below a power of two: amax = 8 - 2^-21, the largest
///   Float below 8, gets e = 1 there and e = 0 here, so it dequantizes to 8 there and 6 here),
///   clamped to [-127, 127]; an all-zero group uses e = -1 as auto-round does (its output is zeros
///   either way); x' = E2M1(clamp(x / 2^e, +-6)) * 2^e.
/// - `.nvfp4` (`auto_round/data_type/nvfp.py`, `ref_nvfp4_quant`, as called by `nv_fp4_with_static_gs`
///   and by the inference module `auto_round/experimental/qmodules/nvfp4.py`): with the stored global
///   scale g, s = E4M3(clamp(g * (amax * fl(1/6)), +-448)), d = s * fl(1/g), o = 1/d (0 if d = 0),
///   x' = E2M1(clamp(x * o, +-6)) * (1/o) (0 if o = 0). The reciprocals are the kernel's (vLLM's
///   reference for the CUDA cast); compressed-tensors instead divides (x / (s / g)), which can differ
///   in the last bit of a scaled value and so, at an exact E2M1 tie, by one code.
/// - `.fp8` (`auto_round/data_type/fp8.py`, `quant_fp8_sym` with group_size 128):
///   s = max(amax / 448, fl(1 / (448 * 512))), x' = E4M3(clamp(x / s, +-448)) * s.
///
/// Non-finite inputs behave as in auto-round's torch code: a group holding NaN becomes all NaN (the
/// group max is NaN). An infinity makes its whole group NaN in `.mxfp4` (auto-round's `floor_ste`
/// computes (floor(inf) - inf) + inf) and `.fp8` (s = inf; inf / inf and 0 * inf are NaN); in
/// `.nvfp4` it saturates (block scale 448, element +-6) and the rest of its group is quantized on
/// that scale, unless the global scale is 0 (0 * inf: all NaN).
///
/// A zero result keeps its input's sign (as `E2M1.round` and `E4M3.round` do). auto-round returns +0
/// instead for a -0 input (torch.sign(-0) is 0) and, in `.fp8`, for every zero result (its
/// straight-through (q - x) + x); the values are equal, only the sign bit of zero differs.
public struct ActivationQuantizer: Sendable, Equatable {
    public let scheme: ActivationScheme
    /// NVFP4's static per-layer global scale (the checkpoint's `input_global_scale`); nil for the
    /// other schemes.
    public let inputGlobalScale: Float?

    /// - Precondition: `inputGlobalScale` is given (finite, >= 0) exactly when `scheme` is `.nvfp4`.
    public init(scheme: ActivationScheme, inputGlobalScale: Float? = nil) {
        precondition((scheme == .nvfp4) == (inputGlobalScale != nil),
                     "ActivationQuantizer: inputGlobalScale is required for nvfp4 and only for nvfp4")
        if let g = inputGlobalScale {
            precondition(g.isFinite && g >= 0, "ActivationQuantizer: inputGlobalScale \(g) must be finite and >= 0")
        }
        self.scheme = scheme
        self.inputGlobalScale = inputGlobalScale
    }

    public static let mxfp4 = ActivationQuantizer(scheme: .mxfp4)
    public static let fp8 = ActivationQuantizer(scheme: .fp8)
    public static func nvfp4(inputGlobalScale: Float) -> ActivationQuantizer {
        ActivationQuantizer(scheme: .nvfp4, inputGlobalScale: inputGlobalScale)
    }

    /// NVFP4's `input_global_scale` from the calibration absolute maximum of a layer's inputs (the
    /// max of |x| over every calibration token and feature), as auto-round's `calculate_gparam`
    /// (`auto_round/data_type/nvfp.py`) computes it at export: 2688 * fl(1/amax) in fp32 (448 * 6 = 2688),
    /// and 0 for amax = 0 (its `get_reciprocal(0)` is 0; every group then dequantizes to zeros).
    /// compressed-tensors' `generate_gparam` divides instead (2688 / amax, and 1 for amax = 0).
    public static func nvfp4InputGlobalScale(calibrationAmax amax: Float) -> Float {
        let a = amax.magnitude
        return 2688 * (a == 0 ? 0 : 1 / a)
    }

    /// The global scale shared by layers that a runtime fuses into one product (q/k/v projections,
    /// gate/up projections): the minimum of their own, as auto-round's
    /// `update_fused_layer_global_scales` sets it (on by default, `AR_NVFP4_FUSED_LAYER_GLOBAL_SCALE=1`).
    public static func fusedInputGlobalScale(_ scales: [Float]) -> Float? { scales.min() }

    /// Fake-quantizes `x` in place, one token per row.
    /// - Throws: `QuantError.rowLengthNotMultipleOfBlock` if `x.cols` is not a multiple of the group size.
    /// - Complexity: O(rows * cols), one pass over each group, no allocation.
    public func fakeQuantize(_ x: inout Matrix, name: String) throws {
        let (rows, cols) = (x.rows, x.cols)
        try x.data.withUnsafeMutableBufferPointer { try fakeQuantize($0, rows: rows, cols: cols, name: name) }
    }

    /// Fake-quantizes the row-major `rows` x `cols` matrix in `x` in place.
    /// - Throws: `QuantError.shapeMismatch` if `x.count != rows * cols`,
    ///   `QuantError.rowLengthNotMultipleOfBlock` if `cols` is not a multiple of the group size.
    public func fakeQuantize(_ x: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, name: String) throws {
        let g = scheme.groupSize
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard rows >= 0, cols >= 0, !overflow, x.count == count else {
            throw QuantError.shapeMismatch(tensor: name, expected: "\(rows) x \(cols) values", actual: "\(x.count) values")
        }
        guard cols % g == 0 else {
            throw QuantError.rowLengthNotMultipleOfBlock(tensor: name, format: "\(scheme.rawValue) activations",
                                                         rowLength: cols, blockSize: g)
        }
        guard let base = x.baseAddress else { return }
        let groups = count / g
        switch scheme {
        case .mxfp4:
            for k in 0..<groups { Self.mxfp4Group(base + k * 32) }
        case .nvfp4:
            let global = inputGlobalScale ?? 0
            let inverseGlobal: Float = global == 0 ? 0 : 1 / global
            for k in 0..<groups { Self.nvfp4Group(base + k * 16, global: global, inverseGlobal: inverseGlobal) }
        case .fp8:
            for k in 0..<groups { Self.fp8Group(base + k * 128) }
        }
    }
}

// MARK: - Group kernels (fixed group sizes, so the loops unroll and vectorize)

extension ActivationQuantizer {
    /// Absolute maximum of `n` values and whether any is NaN (NaN never wins a `>` compare).
    @inline(__always)
    static func groupAmax(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> (amax: Float, nan: Bool) {
        var m: Float = 0, nan: UInt32 = 0
        for i in 0..<n {
            let a = p[i].magnitude
            m = a > m ? a : m
            nan |= a.bitPattern > 0x7F80_0000 ? 1 : 0
        }
        return (m, nan != 0)
    }

    @inline(__always)
    static func fill(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ v: Float) {
        for i in 0..<n { p[i] = v }
    }

    /// The MX shared exponent of a group with finite absolute maximum `amax`: floor(log2(amax)) - 2
    /// (amax's binary exponent minus E2M1's emax) clamped to E8M0's [-127, 127] (only the lower bound
    /// can bind for a finite Float); -1 for amax = 0 (auto-round's `where(max_val == 0, 1, log2(max_val))`,
    /// floored, minus 2).
    @inlinable
    public static func mxfp4SharedExponent(amax: Float) -> Int {
        guard amax > 0 else { return -1 }
        return min(max(Int(amax.exponent) - 2, -127), 127)
    }

    @inline(__always)
    static func mxfp4Group(_ p: UnsafeMutablePointer<Float>) {
        let (amax, nan) = groupAmax(p, 32)
        if nan || amax == .infinity { return fill(p, 32, .nan) }
        let e = mxfp4SharedExponent(amax: amax)
        // 2^e and 2^-e are both normal or subnormal floats for e in [-127, 127]; x * 2^-e is the
        // correctly rounded x / 2^e.
        let scale = Float(sign: .plus, exponent: e, significand: 1)
        let inverse = Float(sign: .plus, exponent: -e, significand: 1)
        for i in 0..<32 {
            let y = Swift.min(Swift.max(p[i] * inverse, -E2M1.maxValue), E2M1.maxValue)
            p[i] = E2M1.round(y) * scale
        }
    }

    /// fl32(1/6), the factor auto-round (and the CUDA kernel) multiplies a block amax by.
    static let inverseE2M1Max: Float = 1 / E2M1.maxValue

    /// The E4M3 block scale (as stored, before division by the global scale) of an NVFP4 activation
    /// group with absolute maximum `amax` under global scale `global`: E4M3(clamp(global * (amax * fl(1/6)), 448)).
    @inlinable
    public static func nvfp4BlockScale(amax: Float, global: Float) -> Float {
        let s = global * (amax * (1 / E2M1.maxValue))
        return s.isNaN ? .nan : E4M3.round(Swift.min(s, E4M3.maxValue))
    }

    @inline(__always)
    static func nvfp4Group(_ p: UnsafeMutablePointer<Float>, global: Float, inverseGlobal: Float) {
        let (amax, nan) = groupAmax(p, 16)
        let s = nvfp4BlockScale(amax: amax, global: global)
        if nan || s.isNaN { return fill(p, 16, .nan) }
        let d = s * inverseGlobal
        let o: Float = d == 0 ? 0 : 1 / d
        let back: Float = o == 0 ? 0 : 1 / o
        for i in 0..<16 {
            let y = Swift.min(Swift.max(p[i] * o, -E2M1.maxValue), E2M1.maxValue)
            p[i] = E2M1.round(y) * back
        }
    }

    /// auto-round's lower bound on an FP8 activation scale, fl32(1 / (448 * 512)) ("copy from vllm").
    public static let fp8MinScale = Float(1.0 / (448.0 * 512.0))

    /// The FP32 scale of an FP8 activation group with absolute maximum `amax`: max(amax / 448, fp8MinScale).
    @inlinable
    public static func fp8Scale(amax: Float) -> Float { Swift.max(amax / E4M3.maxValue, fp8MinScale) }

    @inline(__always)
    static func fp8Group(_ p: UnsafeMutablePointer<Float>) {
        let (amax, nan) = groupAmax(p, 128)
        if nan || amax == .infinity { return fill(p, 128, .nan) }
        let s = fp8Scale(amax: amax)
        for i in 0..<128 {
            let y = Swift.min(Swift.max(p[i] / s, -E4M3.maxValue), E4M3.maxValue)
            p[i] = E4M3.round(y) * s
        }
    }
}
