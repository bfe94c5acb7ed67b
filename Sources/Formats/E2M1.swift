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

    /// `x` (finite) rounded to the nearest E2M1 value, keeping the sign of zero.
    ///
    /// Computed arithmetically (independently of `encode`'s threshold count; tests check they agree):
    /// magnitudes >= 1 keep one mantissa bit (round to nearest even on the dropped 22 bits) and saturate
    /// at 6; magnitudes < 1 lie on the subnormal grid 0.5, rounded as rint(2a) / 2. Branch-free selects.
    @inlinable @inline(__always)
    public static func round(_ x: Float) -> Float {
        let a = x.magnitude
        let u = a.bitPattern
        let normal = Swift.min(Float(bitPattern: (u &+ 0x1F_FFFF &+ ((u >> 22) & 1)) & 0xFFC0_0000), maxValue)
        let subnormal = (a * 2).rounded(.toNearestOrEven) * 0.5
        let m = a >= 1 ? normal : subnormal
        return Float(bitPattern: m.bitPattern | (x.bitPattern & 0x8000_0000))
    }
}
