import Formats

/// The rounding steps of a tunable format, as SignRound's forward pass takes them.
///
/// `NearestRounding` is the format's own arithmetic (bit-identical to its `fakeQuantize`).
/// `SmoothRounding` replaces every rounding by the identity (the straight-through estimator's view:
/// the function whose derivative the optimiser uses), keeping clamps and saturation; tests compare
/// the analytic gradient with finite differences of this smooth model.
protocol SignRoundRounding: Sendable {
    /// Integer code rounding (half to even).
    static func integer(_ x: Float) -> Float
    /// `integer` on 8 lanes, lane for lane the same value.
    static func integer(_ x: SIMD8<Float>) -> SIMD8<Float>
    /// E2M1 element rounding (nearest, ties to even index, saturating at 6).
    static func e2m1(_ x: Float) -> Float
    /// Rounding of an int group's scale to fp16.
    static func half(_ x: Float) -> Float
    /// Rounding of an NVFP4 block scale to E4M3.
    static func e4m3(_ x: Float) -> Float
    /// MXFP4's power-of-two scale of a block with (clipped) absolute maximum `amax`.
    static func mxScale(_ amax: Float) -> Float
}

/// The formats' own rounding (see `IntGroupQuantizer`, `MXFP4Quantizer`, `NVFP4Quantizer`).
enum NearestRounding: SignRoundRounding {
    @inline(__always) static func integer(_ x: Float) -> Float { x.rounded(.toNearestOrEven) }
    @inline(__always) static func integer(_ x: SIMD8<Float>) -> SIMD8<Float> { x.rounded(.toNearestOrEven) }
    @inline(__always) static func e2m1(_ x: Float) -> Float { E2M1.round(x) }
    @inline(__always) static func half(_ x: Float) -> Float { Float(Float16(x)) }
    @inline(__always) static func e4m3(_ x: Float) -> Float { E4M3.round(x) }
    @inline(__always) static func mxScale(_ amax: Float) -> Float {
        Float(sign: .plus, exponent: MXFP4Quantizer.sharedExponent(amax: amax), significand: 1)
    }
}

/// Every rounding replaced by the identity; E2M1 still saturates at +-6 and MXFP4's scale is
/// amax / 4 (2^(log2 amax - 2) without the floor).
enum SmoothRounding: SignRoundRounding {
    static func integer(_ x: Float) -> Float { x }
    static func integer(_ x: SIMD8<Float>) -> SIMD8<Float> { x }
    static func e2m1(_ x: Float) -> Float { min(max(x, -E2M1.maxValue), E2M1.maxValue) }
    static func half(_ x: Float) -> Float { x }
    static func e4m3(_ x: Float) -> Float { x }
    static func mxScale(_ amax: Float) -> Float { amax / 4 }
}
