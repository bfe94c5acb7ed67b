import TensorCore

/// The float details ggml's quantizers depend on, reproduced exactly.
///
/// Bit-exactness rests on three facts: every float operation is IEEE binary32 in the reference's
/// order and grouping (llama.cpp builds `ggml-quants.c` into `ggml-base` without `-march` flags, so
/// x86-64 has no fused multiply-add to contract into; Swift never contracts), rounding to an integer
/// goes through `nearestInt`'s magic-number addition, and fp16 stores round to nearest even
/// (ggml's `ggml_compute_fp32_to_fp16` equals IEEE conversion for every non-NaN binary32 value,
/// checked exhaustively against the compiler's `_Float16` cast).
enum GGMLArithmetic {
    /// 1.5 * 2^23: adding it puts an integer of magnitude below 2^22 into the low mantissa bits.
    static let magic: Float = 12_582_912

    /// ggml's `nearest_int`: the integer nearest `x`, ties to even (the binary32 addition of 1.5 * 2^23
    /// rounds the fraction away), valid for |x| <= 4194303. Outside that range the result is the same
    /// bit manipulation's (it wraps, as in the reference); an infinity gives -4194304.
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int {
        Int((x + magic).bitPattern & 0x007F_FFFF) - 0x0040_0000
    }

    /// `nearestInt` on eight lanes.
    @inline(__always)
    static func nearestInt(_ x: SIMD8<Float>) -> SIMD8<Int32> {
        let bits = unsafeBitCast(x + SIMD8(repeating: magic), to: SIMD8<Int32>.self)
        return (bits & 0x007F_FFFF) &- 0x0040_0000
    }

    /// C's conversion of a float to `int` as x86-64 executes it (`cvttss2si`): truncation toward
    /// zero; NaN and values outside Int32's range give Int32.min. Only reachable with degenerate
    /// scales (an fp32 reciprocal that overflows), where the reference relies on this behaviour.
    @inline(__always)
    static func truncatedInt32(_ x: Float) -> Int32 {
        guard x > -2_147_483_904, x < 2_147_483_648 else { return Int32.min }
        return Int32(x.rounded(.towardZero))
    }

    /// The fp16 bits of `x`, rounded to nearest even (ggml's `GGML_FP32_TO_FP16`).
    @inline(__always)
    static func fp16Bits(_ x: Float) -> UInt16 { HalfPrecision.floatToF16(x) }

    /// The value of fp16 bits (ggml's `GGML_FP16_TO_FP32`, exact).
    @inline(__always)
    static func fp16Value(_ bits: UInt16) -> Float { HalfPrecision.f16ToFloat(bits) }

    /// The value `x` has once stored as fp16.
    @inline(__always)
    static func throughFP16(_ x: Float) -> Float { fp16Value(fp16Bits(x)) }

    /// Stores `x` as little-endian fp16 at `p`.
    @inline(__always)
    static func storeFP16(_ x: Float, at p: UnsafeMutablePointer<UInt8>) {
        let b = fp16Bits(x)
        p[0] = UInt8(truncatingIfNeeded: b)
        p[1] = UInt8(truncatingIfNeeded: b >> 8)
    }

    /// Reads little-endian fp16 at `p`.
    @inline(__always)
    static func loadFP16(_ p: UnsafePointer<UInt8>) -> Float {
        fp16Value(UInt16(p[0]) | UInt16(p[1]) << 8)
    }
}
