/// FP4 E2M1 (OCP MX v1.0): 1 sign, 2 exponent (bias 1), 1 mantissa bit; no Inf/NaN.
///
/// Code = sign << 3 | magnitude index; magnitudes by index: 0, 0.5, 1, 1.5, 2, 3, 4, 6
/// (index 1 is the only subnormal, 0.5). Rounding is to nearest with ties to the even index
/// (even mantissa), saturating at 6: 0.25 -> 0, 0.75 -> 1, 1.25 -> 1, 1.75 -> 2, 2.5 -> 2,
/// 3.5 -> 4, 5 -> 4, anything above 5 -> 6. The sign bit is the input's (so -0.0 and small negatives
/// encode as 0x8, which decodes to -0.0).
public enum E2M1 {
    /// Magnitudes by index 0...7.
    public static let magnitudes: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    /// Largest magnitude.
    public static let maxValue: Float = 6

    /// Index 0...7 of the nearest magnitude to `a` >= 0 (ties to even index, saturating).
    /// Branch-free: counts the rounding thresholds passed (strict at thresholds that round down).
    @inlinable @inline(__always)
    public static func magnitudeIndex(_ a: Float) -> Int {
        var i = a > 0.25 ? 1 : 0
        i += a >= 0.75 ? 1 : 0
        i += a > 1.25 ? 1 : 0
        i += a >= 1.75 ? 1 : 0
        i += a > 2.5 ? 1 : 0
        i += a >= 3.5 ? 1 : 0
        i += a > 5 ? 1 : 0
        return i
    }

    /// The 4-bit code of `x` (finite), rounded as described above.
    @inlinable
    public static func encode(_ x: Float) -> UInt8 {
        let sign: UInt8 = x.sign == .minus ? 8 : 0
        return sign | UInt8(magnitudeIndex(x.magnitude))
    }

    /// The value of a 4-bit code (bits above 3 ignored).
    @inlinable
    public static func decode(_ code: UInt8) -> Float {
        let m = magnitudes[Int(code & 7)]
        return code & 8 != 0 ? -m : m
    }

    /// `x` rounded to the nearest E2M1 value (same rule as `encode`), keeping the sign of zero.
    @inlinable @inline(__always)
    public static func round(_ x: Float) -> Float {
        let m: Float
        switch magnitudeIndex(x.magnitude) {
        case 0: m = 0
        case 1: m = 0.5
        case 2: m = 1
        case 3: m = 1.5
        case 4: m = 2
        case 5: m = 3
        case 6: m = 4
        default: m = 6
        }
        return x.sign == .minus ? -m : m
    }
}
