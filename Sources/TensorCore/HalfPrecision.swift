/// Conversions between Float32 and the 16-bit float formats stored in model files.
///
/// - fp16 (IEEE binary16): through Swift's `Float16`, round to nearest even, overflow to infinity.
/// - bf16 (bfloat16, the top 16 bits of a binary32): round to nearest even on the dropped 16 bits;
///   NaN stays NaN (quiet). Decoding is a 16-bit shift.
public enum HalfPrecision {
    /// Decodes fp16 bits to Float (exact).
    @inlinable public static func f16ToFloat(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    /// Encodes Float to fp16 bits, rounding to nearest even.
    @inlinable public static func floatToF16(_ x: Float) -> UInt16 { Float16(x).bitPattern }

    /// Rounds through fp16 and back (the value an fp16 scale really has).
    @inlinable public static func roundToF16(_ x: Float) -> Float { Float(Float16(x)) }

    /// Decodes bf16 bits to Float (exact).
    @inlinable public static func bf16ToFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Encodes Float to bf16 bits, rounding to nearest even; NaN maps to a quiet NaN.
    @inlinable public static func floatToBF16(_ x: Float) -> UInt16 {
        let u = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: (u >> 16) | 0x40) }
        let rounded = u &+ 0x7FFF &+ ((u >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Rounds through bf16 and back.
    @inlinable public static func roundToBF16(_ x: Float) -> Float { bf16ToFloat(floatToBF16(x)) }

    /// Decodes a buffer of fp16 values.
    public static func decodeF16(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) {
        let n = dst.count
        precondition(src.count >= 2 * n)
        for i in 0..<n {
            dst[i] = f16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }

    /// Decodes a buffer of bf16 values.
    public static func decodeBF16(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) {
        let n = dst.count
        precondition(src.count >= 2 * n)
        for i in 0..<n {
            dst[i] = bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }
}
