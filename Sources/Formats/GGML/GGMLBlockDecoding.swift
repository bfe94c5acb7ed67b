/// Decoders of the ggml block types to Float32, equal bit for bit to llama.cpp's
/// `dequantize_row_*`: each weight is the same binary32 products and difference in the same order
/// (fp16 scales decoded exactly; d * sc formed first, then times the code, then minus dmin * m).
/// Layouts are documented on `GGMLBlockType` and the encoders.
enum GGMLBlockDecoding {
    /// Decodes `count / type.blockSize` blocks at `p` into `count` floats at `y`.
    static func decode(_ type: GGMLBlockType, _ p: UnsafePointer<UInt8>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let (n, stride) = (type.blockSize, type.bytesPerBlock)
        for b in 0..<(count / n) {
            let (src, dst) = (p + stride * b, y + n * b)
            switch type {
            case .q8_0: q8_0(src, dst)
            case .q4_0: q4_0(src, dst)
            case .q5_0: q5_0(src, dst)
            case .q2_K: q2_K(src, dst)
            case .q3_K: q3_K(src, dst)
            case .q4_K: q4_K(src, dst)
            case .q5_K: q5_K(src, dst)
            case .q6_K: q6_K(src, dst)
            case .q4_1: q4_1(src, dst)
            case .q5_1: q5_1(src, dst)
            }
        }
    }

    /// w = q * d.
    private static func q8_0(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p)
        for j in 0..<32 { y[j] = Float(Int8(bitPattern: p[2 + j])) * d }
    }

    /// w = (q - 8) * d.
    private static func q4_0(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p)
        for j in 0..<16 {
            y[j] = Float(Int(p[2 + j] & 0xF) - 8) * d
            y[j + 16] = Float(Int(p[2 + j] >> 4) - 8) * d
        }
    }

    /// w = (q - 16) * d, q = nibble | fifth bit from qh.
    private static func q5_0(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p)
        let qh = UInt32(p[2]) | UInt32(p[3]) << 8 | UInt32(p[4]) << 16 | UInt32(p[5]) << 24
        for j in 0..<16 {
            let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float((Int(p[6 + j] & 0xF) | h0) - 16) * d
            y[j + 16] = Float((Int(p[6 + j] >> 4) | h1) - 16) * d
        }
    }

    /// w = q * d + m.
    private static func q4_1(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p), m = GGMLArithmetic.loadFP16(p + 2)
        for j in 0..<16 {
            y[j] = Float(p[4 + j] & 0xF) * d + m
            y[j + 16] = Float(p[4 + j] >> 4) * d + m
        }
    }

    /// w = q * d + m, q = nibble | fifth bit from qh.
    private static func q5_1(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p), m = GGMLArithmetic.loadFP16(p + 2)
        let qh = UInt32(p[4]) | UInt32(p[5]) << 8 | UInt32(p[6]) << 16 | UInt32(p[7]) << 24
        for j in 0..<16 {
            let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
            y[j] = Float(Int(p[8 + j] & 0xF) | h0) * d + m
            y[j + 16] = Float(Int(p[8 + j] >> 4) | h1) * d + m
        }
    }

    /// w = (d * sc) * q - (dmin * m).
    private static func q2_K(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p + 80), dmin = GGMLArithmetic.loadFP16(p + 82)
        for i in 0..<256 {
            let (h, r) = (i / 128, i % 128)
            let (shift, l) = (2 * (r / 32), r % 32)
            let sc = p[i / 16]
            let q = (p[16 + 32 * h + l] >> shift) & 3
            y[i] = d * Float(sc & 0xF) * Float(q) - dmin * Float(sc >> 4)
        }
    }

    /// w = (d * (sc - 32)) * (q - 4), the third bit of q from hmask.
    private static func q3_K(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p + 108)
        for i in 0..<256 {
            let (h, r) = (i / 128, i % 128)
            let (shift, l) = (2 * (r / 32), r % 32)
            let low = Int((p[32 + 32 * h + l] >> shift) & 3)
            let high = p[i % 32] & (1 << (i / 32)) != 0 ? 0 : 4
            y[i] = d * Float(GGMLScaleCodes.unpackQ3(i / 16, p + 96)) * Float(low - high)
        }
    }

    /// w = (d * sc) * q - (dmin * m).
    private static func q4_K(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p), dmin = GGMLArithmetic.loadFP16(p + 2)
        for i in 0..<256 {
            let (sc, m) = GGMLScaleCodes.unpackK4(i / 32, p + 4)
            let byte = p[16 + 32 * (i / 64) + i % 32]
            let q = (i / 32) % 2 == 0 ? byte & 0xF : byte >> 4
            y[i] = d * Float(sc) * Float(q) - dmin * Float(m)
        }
    }

    /// w = (d * sc) * q - (dmin * m), q = nibble + 16 * high bit.
    private static func q5_K(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p), dmin = GGMLArithmetic.loadFP16(p + 2)
        for i in 0..<256 {
            let (sc, m) = GGMLScaleCodes.unpackK4(i / 32, p + 4)
            let sub = i / 32, l = i % 32
            let byte = p[48 + 32 * (i / 64) + l]
            let low = sub % 2 == 0 ? byte & 0xF : byte >> 4
            let high: UInt8 = p[16 + l] & (1 << sub) != 0 ? 16 : 0
            y[i] = d * Float(sc) * Float(low + high) - dmin * Float(m)
        }
    }

    /// w = (d * sc) * (q - 32).
    private static func q6_K(_ p: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLArithmetic.loadFP16(p + 208)
        for i in 0..<256 {
            let (h, r) = (i / 128, i % 128)
            let (quarter, l) = (r / 32, r % 32)
            let ql = p[64 * h + 32 * (quarter % 2) + l]
            let low = quarter < 2 ? ql & 0xF : ql >> 4
            let high = (p[128 + 32 * h + l] >> (2 * quarter)) & 3
            let sc = Float(Int8(bitPattern: p[192 + i / 16]))
            y[i] = d * sc * Float(Int(low | high << 4) - 32)
        }
    }
}
