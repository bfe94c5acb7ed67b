import XCTest
@testable import Model

/// Block decoding against values derived by hand from llama.cpp's block layouts.
final class GGUFDequantTests: XCTestCase {
    /// Decodes one block of `storage` from `bytes`.
    private func decode(_ storage: StorageType, _ bytes: [UInt8]) -> [Float] {
        let n = GGMLTypeTraits.forStorage(storage)!.blockSize
        XCTAssertEqual(bytes.count, GGMLTypeTraits.forStorage(storage)!.bytesPerBlock)
        var out = [Float](repeating: .nan, count: n)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { GGUFDequant.decode(storage, src, into: $0.baseAddress!, count: n) }
        }
        return out
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }

    func testQ4_0() {
        // d = 0.5 (fp16 0x3800); w = d * (q - 8); low nibbles are weights 0-15, high 16-31.
        var qs = [UInt8](repeating: 0x88, count: 16)
        qs[0] = 0x1F
        qs[15] = 0x80
        let w = decode(.q4_0, le16(0x3800) + qs)
        XCTAssertEqual(w[0], 3.5)     // (15 - 8) * 0.5
        XCTAssertEqual(w[16], -3.5)   // (1 - 8) * 0.5
        XCTAssertEqual(w[15], -4)     // (0 - 8) * 0.5
        XCTAssertEqual(w[31], 0)      // (8 - 8) * 0.5
        XCTAssertEqual(w[7], 0)
    }

    func testQ4_1() {
        // d = 0.25 (0x3400), m = -1 (0xBC00); w = d * q + m.
        var qs = [UInt8](repeating: 0, count: 16)
        qs[0] = 0x3A
        qs[15] = 0xF0
        let w = decode(.q4_1, le16(0x3400) + le16(0xBC00) + qs)
        XCTAssertEqual(w[0], 1.5)     // 10 * 0.25 - 1
        XCTAssertEqual(w[16], -0.25)  // 3 * 0.25 - 1
        XCTAssertEqual(w[15], -1)     // 0 * 0.25 - 1
        XCTAssertEqual(w[31], 2.75)   // 15 * 0.25 - 1
    }

    func testQ5_1() {
        // d = 0.5 (0x3800), m = -4 (0xC400); qh bit j is the 5th bit of weight j; w = d * q + m.
        let qh: UInt32 = 0x8000_0002  // bits 1 and 31
        var qs = [UInt8](repeating: 0, count: 16)
        qs[1] = 0x0F
        qs[15] = 0xF3
        let w = decode(.q5_1, le16(0x3800) + le16(0xC400) + withUnsafeBytes(of: qh.littleEndian, Array.init) + qs)
        XCTAssertEqual(w[1], 11.5)    // (15 + 16) * 0.5 - 4
        XCTAssertEqual(w[17], -4)     // 0 * 0.5 - 4
        XCTAssertEqual(w[15], -2.5)   // 3 * 0.5 - 4
        XCTAssertEqual(w[31], 11.5)   // (15 + 16) * 0.5 - 4
        XCTAssertEqual(w[0], -4)
    }

    func testMXFP4() {
        // e = 126 (d = 2^(126 - 128) = 0.25); codes are E2M1 with sign in bit 3, value k[q] * d with k the
        // doubled E2M1 values (0, 1, 2, 3, 4, 6, 8, 12); low nibbles are weights 0-15, high 16-31.
        var qs = [UInt8](repeating: 0, count: 16)
        qs[0] = 0xF7   // weight 0 code 7 (12 -> 3), weight 16 code 15 (-12 -> -3)
        qs[3] = 0x19   // weight 3 code 9 (-1 -> -0.25), weight 19 code 1 (1 -> 0.25)
        let w = decode(.mxfp4, [126] + qs)
        XCTAssertEqual([w[0], w[16], w[3], w[19], w[1]], [3, -3, -0.25, 0.25, 0])
        // e = 0 and 1 are the subnormal halves 2^-128 and 2^-127.
        XCTAssertEqual(decode(.mxfp4, [0, 0x01] + [UInt8](repeating: 0, count: 15))[0], 0x1p-128)
        XCTAssertEqual(decode(.mxfp4, [1, 0x07] + [UInt8](repeating: 0, count: 15))[0], 12 * 0x1p-127)
    }

    func testQ8_0() {
        // d = 2 (0x4000); w = d * int8.
        var qs = [UInt8](repeating: 0, count: 32)
        qs[0] = 0x80      // -128
        qs[5] = 3
        qs[31] = 0x7F     // 127
        let w = decode(.q8_0, le16(0x4000) + qs)
        XCTAssertEqual(w[0], -256)
        XCTAssertEqual(w[5], 6)
        XCTAssertEqual(w[31], 254)
        XCTAssertEqual(w[1], 0)
    }

    func testQ5_0() {
        // d = 1 (0x3C00); qh bit j is the 5th bit of weight j; w = d * (q - 16).
        let qh: UInt32 = 0x8001_0001  // bits 0, 16, 31
        var qs = [UInt8](repeating: 0, count: 16)
        qs[0] = 0x21
        let w = decode(.q5_0, le16(0x3C00) + withUnsafeBytes(of: qh.littleEndian, Array.init) + qs)
        XCTAssertEqual(w[0], 1)       // (1 | 16) - 16
        XCTAssertEqual(w[16], 2)      // (2 | 16) - 16
        XCTAssertEqual(w[1], -16)     // 0 - 16
        XCTAssertEqual(w[15], -16)
        XCTAssertEqual(w[31], 0)      // (0 | 16) - 16
    }

    func testQ4_K() {
        // d = 1, dmin = 0.5; sub-block 0: scale 2, min 3; sub-block 4: scale 5 | (1 << 4) = 21, min 2.
        var scales = [UInt8](repeating: 0, count: 12)
        scales[0] = 0x42   // scale0 = 2, top bits 1 -> high bits of scale4
        scales[4] = 3      // min0 = 3
        scales[8] = 0x25   // scale4 low 5, min4 low 2
        var qs = [UInt8](repeating: 0, count: 128)
        qs[0] = 0x07       // weight 0 (low nibble, sub-block 0); weight 32 (high nibble, sub-block 1) = 0
        qs[64] = 0x0A      // weight 128 (low nibble, sub-block 4)
        let w = decode(.q4_K, le16(0x3C00) + le16(0x3800) + scales + qs)
        XCTAssertEqual(w[0], 12.5)    // 1*2*7 - 0.5*3
        XCTAssertEqual(w[1], -1.5)    // 1*2*0 - 0.5*3
        XCTAssertEqual(w[32], 0)      // sub-block 1 has scale 0 and min 0
        XCTAssertEqual(w[128], 209)   // 1*21*10 - 0.5*2
        XCTAssertEqual(w[129], -1)    // 0 - 0.5*2
    }

    func testQ2_K() {
        // 16 B scales (sc low nibble, m high nibble), 64 B of 2-bit codes, f16 d = 0.5, dmin = 0.25;
        // w = d*sc * q - dmin*m. Byte 16 + 32 h + l holds weights 128 h + l + 32 k at bits 2 k.
        var scales = [UInt8](repeating: 0, count: 16)
        scales[0] = 0x21   // sub-block 0: sc 1, m 2
        scales[1] = 0x05   // sub-block 1 (weights 16-31): sc 5, m 0
        scales[2] = 0x13   // sub-block 2 (weights 32-47): sc 3, m 1
        scales[15] = 0xF4  // sub-block 15: sc 4, m 15
        var qs = [UInt8](repeating: 0, count: 64)
        qs[0] = 0xE4       // weights 0, 32, 64, 96: codes 0, 1, 2, 3
        qs[16] = 0x02      // weight 16: code 2
        qs[63] = 0xC0      // weight 255 (h 1, l 31, k 3): code 3
        let w = decode(.q2_K, scales + qs + le16(0x3800) + le16(0x3400))
        XCTAssertEqual(w[0], -0.5)    // 0.5*1*0 - 0.25*2
        XCTAssertEqual(w[32], 1.25)   // 0.5*3*1 - 0.25*1
        XCTAssertEqual(w[64], 0)      // sub-block 4: sc 0, m 0
        XCTAssertEqual(w[16], 5)      // 0.5*5*2
        XCTAssertEqual(w[255], 2.25)  // 0.5*4*3 - 0.25*15
        XCTAssertEqual(w[240], -3.75) // code 0 in sub-block 15
    }

    func testQ3_K() {
        // 32 B hmask, 64 B low 2 bits, 12 B 6-bit scales, f16 d = 0.5; w = d*(sc - 32) * (q - (hmask ? 0 : 4)).
        var hmask = [UInt8](repeating: 0, count: 32), qs = [UInt8](repeating: 0, count: 64)
        var scales = [UInt8](repeating: 0, count: 12)
        scales[0] = 0xF1   // sub-block 0 low nibble 1, sub-block 8 low nibble 15
        scales[8] = 0x32   // top bits: sub-block 0 -> 2 (raw 33, sc 1), sub-block 8 -> 3 (raw 63, sc 31)
        hmask[0] = 0x11    // weight 0 (bit 0) and weight 128 (bit 4) have the high bit
        qs[0] = 0x03       // weight 0: low bits 3
        qs[32] = 0x01      // weight 128: low bits 1
        qs[63] = 0x80      // weight 255: low bits 2 (bits 6-7), no high bit; sub-block 15 raw 0 -> sc -32
        let w = decode(.q3_K, hmask + qs + scales + le16(0x3800))
        XCTAssertEqual(w[0], 1.5)     // 0.5*1*(3 - 0)
        XCTAssertEqual(w[1], -2)      // 0.5*1*(0 - 4)
        XCTAssertEqual(w[128], 15.5)  // 0.5*31*(1 - 0)
        XCTAssertEqual(w[255], 32)    // 0.5*(-32)*(2 - 4)
        XCTAssertEqual(w[16], 64)     // sub-block 1 raw 0: 0.5*(-32)*(0 - 4)
    }

    func testQ5_K() {
        // f16 d = 0.5, dmin = 1, 12 B scales as Q4_K, 32 B fifth bits, 128 B nibbles; w = d*sc * q - dmin*m.
        var scales = [UInt8](repeating: 0, count: 12)
        scales[0] = 2      // sub-block 0: sc 2
        scales[4] = 3      // sub-block 0: m 3
        scales[1] = 1      // sub-block 1: sc 1, m 0
        scales[3] = 0x40   // top bits of sub-block 7's sc: 1
        scales[11] = 0x21  // sub-block 7: sc low 1, m low 2 -> sc 17, m 2
        var qh = [UInt8](repeating: 0, count: 32), ql = [UInt8](repeating: 0, count: 128)
        ql[0] = 0x05; qh[0] = 0x03   // weight 0: 5 + 16; weight 32 (high nibble 0, bit 1): 0 + 16
        ql[127] = 0xA0; qh[31] = 0x80 // weight 255 (pair 3, high nibble, bit 7): 10 + 16
        let w = decode(.q5_K, le16(0x3800) + le16(0x3C00) + scales + qh + ql)
        XCTAssertEqual(w[0], 18)      // 0.5*2*21 - 1*3
        XCTAssertEqual(w[1], -3)      // code 0 in sub-block 0
        XCTAssertEqual(w[32], 8)      // 0.5*1*16 - 0
        XCTAssertEqual(w[255], 219)   // 0.5*17*26 - 1*2
    }

    func testQ6_K() {
        // ql[128], qh[64], int8 scales[16], f16 d = 0.5; w = d * scale * (q - 32).
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        var sc = [Int8](repeating: 0, count: 16)
        ql[0] = 0x35; qh[0] = 0xE4       // 2-bit groups 0, 1, 2, 3
        ql[32] = 0xF0
        ql[64] = 0x01; qh[32] = 0x03
        sc[0] = 4; sc[1] = 1; sc[2] = 1; sc[4] = -2; sc[6] = 3; sc[8] = -1
        let w = decode(.q6_K, ql + qh + sc.map { UInt8(bitPattern: $0) } + le16(0x3800))
        XCTAssertEqual(w[0], -54)     // 0.5*4*((5 | 0<<4) - 32)
        XCTAssertEqual(w[32], -8)     // 0.5*1*((0 | 1<<4) - 32)
        XCTAssertEqual(w[64], -3)     // 0.5*(-2)*((3 | 2<<4) - 32)
        XCTAssertEqual(w[96], 46.5)   // 0.5*3*((15 | 3<<4) - 32)
        XCTAssertEqual(w[16], -16)    // 0.5*1*(0 - 32), scale index 1
        XCTAssertEqual(w[128], -8.5)  // 0.5*(-1)*((1 | 3<<4) - 32)
    }

    func testHalfFormats() {
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0]   // 1.0, -2.0
        let bf16: [UInt8] = [0x80, 0x3F, 0x49, 0x40]  // 1.0, 3.140625
        var out = [Float](repeating: 0, count: 2)
        f16.withUnsafeBytes { s in out.withUnsafeMutableBufferPointer { GGUFDequant.decode(.f16, s, into: $0.baseAddress!, count: 2) } }
        XCTAssertEqual(out, [1, -2])
        bf16.withUnsafeBytes { s in out.withUnsafeMutableBufferPointer { GGUFDequant.decode(.bf16, s, into: $0.baseAddress!, count: 2) } }
        XCTAssertEqual(out, [1, 3.140625])
    }

    func testFloat8E4M3() {
        XCTAssertEqual(Float8E4M3.decode(0x38), 1)        // e = 7, m = 0
        XCTAssertEqual(Float8E4M3.decode(0x7E), 448)      // largest finite
        XCTAssertEqual(Float8E4M3.decode(0xC4), -3)       // -(1 + 4/8) * 2
        XCTAssertEqual(Float8E4M3.decode(0x01), 0x1p-9)   // smallest subnormal
        XCTAssertTrue(Float8E4M3.decode(0x7F).isNaN)
    }

    func testNameMapping() {
        let pairs = [
            ("token_embd.weight", "model.embed_tokens.weight"),
            ("blk.12.attn_q.weight", "model.layers.12.self_attn.q_proj.weight"),
            ("blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias"),
            ("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
            ("blk.3.ffn_down.weight", "model.layers.3.mlp.down_proj.weight"),
            ("blk.3.attn_norm.weight", "model.layers.3.input_layernorm.weight"),
            ("blk.3.ffn_norm.weight", "model.layers.3.post_attention_layernorm.weight"),
            ("blk.3.attn_q_norm.weight", "model.layers.3.self_attn.q_norm.weight"),
            ("output_norm.weight", "model.norm.weight"),
            ("output.weight", "lm_head.weight"),
            ("rope_freqs.weight", "rope_freqs.weight"),
        ]
        for (g, h) in pairs {
            XCTAssertEqual(GGUFNames.huggingFace(g), h)
            XCTAssertEqual(GGUFNames.gguf(h), g)
        }
    }
}
