/// FP8 E4M3 "FN" (OCP OFP8): 1 sign, 4 exponent bits (bias 7), 3 mantissa bits; no infinities,
/// one NaN pattern per sign (S.1111.111); largest finite 448 (S.1111.110); subnormals m * 2^-9
/// (smallest 2^-9 = 0.001953125); smallest normal 2^-6.
///
/// Rounding to E4M3 is to nearest, ties to even mantissa, saturating at +-448 (no NaN is produced
/// for finite input).
public enum E4M3 {
    public static let maxValue: Float = 448
    /// Smallest normal value, 2^-6.
    public static let minNormal: Float = 0x1p-6

    /// `x` (finite) rounded to the nearest E4M3 value, saturating; keeps the sign of zero.
    @inlinable @inline(__always)
    public static func round(_ x: Float) -> Float {
        let a = x.magnitude
        // Normal range: keep 3 of the 23 mantissa bits, rounding the dropped 20 bits to nearest even.
        let u = a.bitPattern
        let normal = Swift.min(Float(bitPattern: (u &+ 0x7_FFFF &+ ((u >> 20) & 1)) & 0xFFF0_0000), maxValue)
        // Subnormal grid 2^-9: scaling by 2^9 is exact.
        let subnormal = (a * 512).rounded(.toNearestOrEven) * 0x1p-9
        let r = a >= minNormal ? normal : subnormal
        return Float(bitPattern: r.bitPattern | (x.bitPattern & 0x8000_0000))
    }

    /// The byte of an E4M3-representable value `v` (as produced by `round`).
    public static func encode(_ v: Float) -> UInt8 {
        let sign: UInt8 = v.sign == .minus ? 0x80 : 0
        let a = v.magnitude
        if a < minNormal { return sign | UInt8(a * 512) }
        let exponent = UInt8(Int(a.exponent) + 7)
        let mantissa = UInt8((a.bitPattern >> 20) & 7)
        return sign | exponent << 3 | mantissa
    }

    /// The value of an E4M3 byte (0x7F and 0xFF are NaN).
    public static func decode(_ b: UInt8) -> Float {
        let e = Int((b >> 3) & 0xF), m = Float(b & 7)
        let v: Float
        if e == 15 && b & 7 == 7 {
            v = .nan
        } else if e == 0 {
            v = m * 0x1p-9
        } else {
            v = Float(sign: .plus, exponent: e - 7, significand: 1 + m / 8)
        }
        return b & 0x80 != 0 ? -v : v
    }
}
