import TensorCore

/// Decoding of GGUF block formats to Float32, following the block layouts of llama.cpp's
/// `ggml-common.h` and the reference `dequantize_row_*` in `ggml-quants.c`. All scales are fp16
/// (IEEE binary16) decoded exactly; every weight is an exact product/sum in Float32 arithmetic as
/// in the reference (d * q, d * q + m, d1 * q - m1).
///
/// Block layouts (bytes, little-endian):
/// - Q4_0 (32 weights, 18 B): f16 d, 16 B nibbles; low nibbles are weights 0-15, high 16-31; w = d * (q - 8).
/// - Q4_1 (32, 20 B): f16 d, f16 m, 16 B nibbles as Q4_0; w = d * q + m.
/// - Q5_0 (32, 22 B): f16 d, 4 B high bits qh (bit j = 5th bit of weight j), 16 B nibbles;
///   w = d * (q - 16) with q = nibble | (qh bit << 4).
/// - Q5_1 (32, 24 B): f16 d, f16 m, then qh and nibbles as Q5_0; w = d * q + m.
/// - MXFP4 (32, 17 B): E8M0 byte e, 16 B nibbles as Q4_0; w = k[q] * 2^(e - 128), k the doubled
///   E2M1 values (0, 1, 2, 3, 4, 6, 8, 12, then the same negated for q 8...15), i.e. E2M1(q) * 2^(e - 127).
/// - Q8_0 (32, 34 B): f16 d, 32 int8; w = d * q.
/// - Q2_K (256, 84 B): 16 B scale (low nibble) / min (high nibble) per sub-block of 16, 64 B of 2-bit
///   codes (byte 32 h + l: weights 128 h + l + 32 k at bits 2 k), f16 d, f16 dmin; w = d*sc * q - dmin*m.
/// - Q3_K (256, 110 B): 32 B hmask (bit k of byte l: third bit of weight 32 k + l, set = no -4), 64 B
///   of 2-bit codes as Q2_K, 12 B of 6-bit scales (low nibbles of 0-7 then 8-15, top bits in bytes
///   8-11), f16 d; w = d*(sc - 32) * (q - (hmask bit ? 0 : 4)).
/// - Q4_K (256, 144 B): f16 d, f16 dmin, 12 B packed 6-bit scales/mins for 8 sub-blocks of 32, 128 B
///   nibbles (each 32-byte run holds two sub-blocks: low nibbles then high); w = d*sc * q - dmin*m.
/// - Q5_K (256, 176 B): as Q4_K with 32 B of fifth bits (bit 2 p / 2 p + 1 of byte l for the two
///   sub-blocks of run p) before the nibbles; q = nibble + 16 * bit.
/// - Q6_K (256, 210 B): 128 B low 4 bits, 64 B high 2 bits, 16 int8 scales (one per 16 weights),
///   f16 d; w = d * scale * (q - 32).
public enum GGUFDequant {
    /// Decodes `count` elements of `storage` from `src` into `dst`.
    /// - Precondition: `count` is a multiple of the block size and `src` holds the blocks.
    /// - Complexity: O(count), one pass, no allocation.
    public static func decode(_ storage: StorageType, _ src: UnsafeRawBufferPointer,
                              into dst: UnsafeMutablePointer<Float>, count: Int) {
        guard let traits = GGMLTypeTraits.forStorage(storage) else { preconditionFailure("not a GGUF type") }
        let blocks = count / traits.blockSize
        precondition(src.count >= blocks * traits.bytesPerBlock, "source too short")
        guard let base = src.baseAddress else { return }
        let step = traits.bytesPerBlock, n = traits.blockSize
        switch storage {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: base, byteCount: 4 * count)
        case .f16: HalfPrecision.decodeF16(src, into: UnsafeMutableBufferPointer(start: dst, count: count))
        case .bf16: HalfPrecision.decodeBF16(src, into: UnsafeMutableBufferPointer(start: dst, count: count))
        case .q4_0: for b in 0..<blocks { q4_0(base + b * step, dst + b * n) }
        case .q4_1: for b in 0..<blocks { q4_1(base + b * step, dst + b * n) }
        case .q5_0: for b in 0..<blocks { q5_0(base + b * step, dst + b * n) }
        case .q5_1: for b in 0..<blocks { q5_1(base + b * step, dst + b * n) }
        case .mxfp4: for b in 0..<blocks { mxfp4(base + b * step, dst + b * n) }
        case .q8_0: for b in 0..<blocks { q8_0(base + b * step, dst + b * n) }
        case .q2_K: for b in 0..<blocks { q2_K(base + b * step, dst + b * n) }
        case .q3_K: for b in 0..<blocks { q3_K(base + b * step, dst + b * n) }
        case .q4_K: for b in 0..<blocks { q4_K(base + b * step, dst + b * n) }
        case .q5_K: for b in 0..<blocks { q5_K(base + b * step, dst + b * n) }
        case .q6_K: for b in 0..<blocks { q6_K(base + b * step, dst + b * n) }
        default: preconditionFailure("\(storage) is not decodable")
        }
    }

    /// Whether `decode` handles this storage type.
    public static func canDecode(_ storage: StorageType) -> Bool {
        switch storage {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .mxfp4: return true
        default: return false
        }
    }

    @inline(__always) static func f16(_ p: UnsafeRawPointer, _ at: Int) -> Float {
        HalfPrecision.f16ToFloat(p.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    @inline(__always) static func q4_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0)
        let qs = p + 2
        for j in 0..<16 {
            let b = qs.load(fromByteOffset: j, as: UInt8.self)
            y[j] = Float(Int(b & 0xF) - 8) * d
            y[j + 16] = Float(Int(b >> 4) - 8) * d
        }
    }

    @inline(__always) static func q4_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0), m = f16(p, 2)
        let qs = p + 4
        for j in 0..<16 {
            let b = qs.load(fromByteOffset: j, as: UInt8.self)
            y[j] = Float(b & 0xF) * d + m
            y[j + 16] = Float(b >> 4) * d + m
        }
    }

    @inline(__always) static func q5_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0)
        let qh = p.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian
        let qs = p + 6
        for j in 0..<16 {
            let b = qs.load(fromByteOffset: j, as: UInt8.self)
            let h0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) << 4) & 0x10
            let h1 = UInt8(truncatingIfNeeded: qh >> UInt32(j + 12)) & 0x10
            y[j] = Float(Int((b & 0xF) | h0) - 16) * d
            y[j + 16] = Float(Int((b >> 4) | h1) - 16) * d
        }
    }

    @inline(__always) static func q5_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0), m = f16(p, 2)
        let qh = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        let qs = p + 8
        for j in 0..<16 {
            let b = qs.load(fromByteOffset: j, as: UInt8.self)
            let h0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) << 4) & 0x10
            let h1 = UInt8(truncatingIfNeeded: qh >> UInt32(j + 12)) & 0x10
            y[j] = Float((b & 0xF) | h0) * d + m
            y[j + 16] = Float((b >> 4) | h1) * d + m
        }
    }

    /// ggml's `kvalues_mxfp4`: twice the E2M1 value of each 4-bit code (sign in bit 3).
    static let mxfp4Values: [Float] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]

    /// Half the E8M0 scale byte's value, 2^(e - 128) (ggml's `GGML_E8M0_TO_FP32_HALF`; e = 0 and 1
    /// give the subnormals 2^-128 and 2^-127, e = 255 gives 2^127 as ggml does).
    @inline(__always) static func e8m0Half(_ e: UInt8) -> Float {
        e < 2 ? Float(bitPattern: UInt32(0x0020_0000) << UInt32(e)) : Float(bitPattern: UInt32(e - 1) << 23)
    }

    @inline(__always) static func mxfp4(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = e8m0Half(p.load(as: UInt8.self))
        for j in 0..<16 {
            let b = p.load(fromByteOffset: 1 + j, as: UInt8.self)
            y[j] = mxfp4Values[Int(b & 0xF)] * d
            y[j + 16] = mxfp4Values[Int(b >> 4)] * d
        }
    }

    @inline(__always) static func q8_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0)
        for j in 0..<32 { y[j] = Float(p.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) from Q4_K's 12 packed bytes.
    @inline(__always) static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (UInt8, UInt8) {
        let b = { (i: Int) in q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
        return ((b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4), (b(j + 4) >> 4) | ((b(j) >> 6) << 4))
    }

    @inline(__always) static func q4_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0), dmin = f16(p, 2)
        let scales = p + 4, qs = p + 16
        for pair in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * pair, scales), (sc2, m2) = scaleMinK4(2 * pair + 1, scales)
            let d1 = d * Float(sc1), mm1 = dmin * Float(m1), d2 = d * Float(sc2), mm2 = dmin * Float(m2)
            let q = qs + 32 * pair, out = y + 64 * pair
            for l in 0..<32 {
                let b = q.load(fromByteOffset: l, as: UInt8.self)
                out[l] = d1 * Float(b & 0xF) - mm1
                out[l + 32] = d2 * Float(b >> 4) - mm2
            }
        }
    }

    @inline(__always) static func q2_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 80), dmin = f16(p, 82)
        for half in 0..<2 {
            let q = p + 16 + 32 * half
            for k in 0..<4 {
                for part in 0..<2 {
                    let sc = p.load(fromByteOffset: 8 * half + 2 * k + part, as: UInt8.self)
                    let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
                    let out = y + 128 * half + 32 * k + 16 * part
                    for l in 0..<16 {
                        let code = (q.load(fromByteOffset: 16 * part + l, as: UInt8.self) >> UInt8(2 * k)) & 3
                        out[l] = dl * Float(code) - ml
                    }
                }
            }
        }
    }

    /// Sub-block `j`'s scale (-32...31) from Q3_K's 12 packed bytes.
    @inline(__always) static func scaleQ3K(_ j: Int, _ p: UnsafeRawPointer) -> Int {
        let b = { (i: Int) in p.load(fromByteOffset: i, as: UInt8.self) }
        let low = j < 8 ? b(j) & 0xF : b(j - 8) >> 4
        let high = (b(8 + j % 4) >> UInt8(2 * (j / 4))) & 3
        return Int(low | high << 4) - 32
    }

    @inline(__always) static func q3_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 108)
        for j in 0..<16 {
            let dl = d * Float(scaleQ3K(j, p + 96))
            for i in 16 * j..<16 * j + 16 {
                let half = i / 128, k = (i % 128) / 32, l = i % 32
                let low = Int((p.load(fromByteOffset: 32 + 32 * half + l, as: UInt8.self) >> UInt8(2 * k)) & 3)
                let set = p.load(fromByteOffset: l, as: UInt8.self) & UInt8(1 << (i / 32)) != 0
                y[i] = dl * Float(low - (set ? 0 : 4))
            }
        }
    }

    @inline(__always) static func q5_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 0), dmin = f16(p, 2)
        let scales = p + 4, qh = p + 16, ql = p + 48
        for pair in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * pair, scales), (sc2, m2) = scaleMinK4(2 * pair + 1, scales)
            let d1 = d * Float(sc1), mm1 = dmin * Float(m1), d2 = d * Float(sc2), mm2 = dmin * Float(m2)
            let out = y + 64 * pair
            for l in 0..<32 {
                let b = ql.load(fromByteOffset: 32 * pair + l, as: UInt8.self)
                let h = qh.load(fromByteOffset: l, as: UInt8.self) >> UInt8(2 * pair)
                out[l] = d1 * Float((b & 0xF) + (h & 1) * 16) - mm1
                out[l + 32] = d2 * Float((b >> 4) + ((h >> 1) & 1) * 16) - mm2
            }
        }
    }

    @inline(__always) static func q6_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = f16(p, 208)
        for half in 0..<2 {
            let ql = p + 64 * half, qh = p + 128 + 32 * half, sc = p + 192 + 8 * half
            let out = y + 128 * half
            for l in 0..<32 {
                let sub = l / 16
                let lo0 = ql.load(fromByteOffset: l, as: UInt8.self)
                let lo1 = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                let h = qh.load(fromByteOffset: l, as: UInt8.self)
                let q1 = Int((lo0 & 0xF) | ((h & 3) << 4)) - 32
                let q2 = Int((lo1 & 0xF) | (((h >> 2) & 3) << 4)) - 32
                let q3 = Int((lo0 >> 4) | (((h >> 4) & 3) << 4)) - 32
                let q4 = Int((lo1 >> 4) | (((h >> 6) & 3) << 4)) - 32
                let s = { (i: Int) in Float(sc.load(fromByteOffset: i, as: Int8.self)) }
                out[l] = d * s(sub) * Float(q1)
                out[l + 32] = d * s(sub + 2) * Float(q2)
                out[l + 64] = d * s(sub + 4) * Float(q3)
                out[l + 96] = d * s(sub + 6) * Float(q4)
            }
        }
    }
}
