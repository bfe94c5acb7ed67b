import TensorCore
import TestSupport
@testable import Formats
import XCTest

/// ggml's block quantizers against llama.cpp's bytes.
///
/// Every expected byte here was written by llama.cpp commit 0c1e570 (vendored in the PyPI sdist of
/// llama-cpp-python 0.3.36): `ggml_quantize_chunk` of libggml-base as its CMake builds it (Release,
/// `-O3`, no `-march`), run on the very floats of `GGMLFixtures`. The field comments decode a few of
/// them by hand: fp16 bits s|eeeee|mmmmmmmmmm = (-1)^s 2^(e - 15) (1 + m / 1024).
final class GGMLQuantizerTests: XCTestCase {
    private func quantize(_ type: GGMLBlockType, _ x: [Float], importance: [Float]? = nil) throws -> [UInt8] {
        try GGMLBlockQuantizer.quantize(Matrix(rows: 1, cols: x.count, data: x), type: type, importance: importance, name: "ramp")
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The fp16 at byte `at`, little-endian.
    private func fp16(_ b: [UInt8], _ at: Int) -> Float { Float(Float16(bitPattern: UInt16(b[at]) | UInt16(b[at + 1]) << 8)) }

    /// Asserts both paths' bytes for the ramp and returns them (reference, importance).
    private func assertRamp(_ type: GGMLBlockType, file: StaticString = #filePath, line: UInt = #line) throws -> ([UInt8], [UInt8]) {
        let n = type.blockSize
        let ref = try quantize(type, GGMLFixtures.ramp(n))
        let imp = try quantize(type, GGMLFixtures.ramp(n), importance: GGMLFixtures.rampImportance(n))
        let expected = try XCTUnwrap(Self.rampBytes[type])
        XCTAssertEqual(hex(ref), expected.reference, "\(type.name) reference path", file: file, line: line)
        XCTAssertEqual(hex(imp), expected.importance, "\(type.name) importance path", file: file, line: line)
        return (ref, imp)
    }

    /// Weights 0 and 7 of the ramp's reference bytes, dequantized.
    private func ends(_ type: GGMLBlockType, _ bytes: [UInt8]) throws -> [Float] {
        let w = try GGMLBlockQuantizer.dequantize(bytes, type: type, rows: 1, cols: type.blockSize, name: "ramp")
        return [w[0, 0], w[0, 7]]
    }

    func testQ8_0Ramp() throws {
        // x_j = (j - 16) / 8 over one block of 32, x_7 = 5. d = 0x290a = 2^-5 (1 + 266/1024) = 0.039367676
        // (amax / 127 = 5/127 in fp16); q_0 = 0xcd = -51 = round(-2 / d), q_7 = 0x7f = 127, q_16 = 0.
        // q8_0 ignores importance: both paths write the same bytes.
        let (ref, imp) = try assertRamp(.q8_0)
        XCTAssertEqual(fp16(ref, 0), 0.039367676)
        XCTAssertEqual([ref[2], ref[9], ref[18]], [0xCD, 0x7F, 0x00])
        XCTAssertEqual(imp, ref)
        XCTAssertEqual(try ends(.q8_0, ref), [-2.0077515, 4.999695])
    }

    func testQ4_0Ramp() throws {
        // d = 0xb900 = -2^-1 * 1.25 = -0.625 = 5 / -8: the value of largest magnitude (the outlier)
        // takes code 0. Byte 2 = 0x8b: weight 0 (x = -2) code 11 = trunc(-2 / d + 8.5), weight 16 (x = 0)
        // code 8. Byte 9 = 0x70: weight 7 code 0 (-> 5), weight 23 (x = 0.875) code 7 (-> 0.625).
        // With importance 1 + j % 3 the scale search moves d to 0xb8f3 = -0.61865234, codes unchanged.
        let (ref, imp) = try assertRamp(.q4_0)
        XCTAssertEqual([fp16(ref, 0), fp16(imp, 0)], [-0.625, -0.61865234])
        XCTAssertEqual([ref[2], ref[9]], [0x8B, 0x70])
        XCTAssertEqual(try ends(.q4_0, ref), [-1.875, 5])
    }

    func testQ5_0Ramp() throws {
        // d = 0xb500 = -0.3125 = 5 / -16. qh (bytes 2-5, little-endian) = 0x0003ff7f: the fifth bit of
        // weights 0-6, 8-17 (codes >= 16, x <= 0.125); weight 7 (the outlier) has code 0. Byte 6 = 0x06:
        // weight 0's low nibble, code 16 + 6 = 22 -> -0.3125 * 6 = -1.875.
        let (ref, imp) = try assertRamp(.q5_0)
        XCTAssertEqual([fp16(ref, 0), fp16(imp, 0)], [-0.3125, -0.31201172])
        XCTAssertEqual(Array(ref[2..<6]), [0x7F, 0xFF, 0x03, 0x00])
        XCTAssertEqual(try ends(.q5_0, ref), [-1.875, 5])
    }

    func testQ4_KRamp() throws {
        // x_j = (j - 128) / 64 over one super-block of 256, x_7 = 5. d = 0x1f7d = 2^-8 (1 + 893/1024)
        // = 0.0073127747, dmin = 0x2801 = 0.031280518. Scale bytes 4-15 = 3f 04 04 44 3f 30 20 10 04 09 0d 02:
        // sub-block 0 (with the outlier) sc = 63, m = 63; sub-block 4 (x in [0, 0.5)) sc = 4 (byte 12 low
        // nibble), m = 0. Byte 23 = 0x4f: weight 7 code 15 -> d 63 * 15 - dmin 63 = 4.9398994.
        let (ref, imp) = try assertRamp(.q4_K)
        XCTAssertEqual([fp16(ref, 0), fp16(ref, 2)], [0.0073127747, 0.031280518])
        XCTAssertEqual([fp16(imp, 0), fp16(imp, 2)], [0.0073165894, 0.031204224])
        XCTAssertEqual([ref[4], ref[8], ref[12], ref[23]], [0x3F, 0x3F, 0x04, 0x4F])
        XCTAssertEqual(try ends(.q4_K, ref), [-1.9706726, 4.9398994])
    }

    func testQ5_KRamp() throws {
        // d = 0x1b54 = 0.003578186, dmin = 0x2810 = 0.03173828; sub-block 0 sc = m = 63 (bytes 4, 8 = 0x3f).
        // Weight 7 takes the top code 31: low nibble 0xf of byte 48 + 7, fifth bit in bit 0 of byte 16 + 7
        // (qh 0xe1) -> d 63 * 31 - dmin 63 = 4.9886856; weight 0 code 0 -> -dmin 63 = -1.9995117.
        let (ref, imp) = try assertRamp(.q5_K)
        XCTAssertEqual([fp16(ref, 0), fp16(ref, 2)], [0.003578186, 0.03173828])
        XCTAssertEqual([fp16(imp, 0), fp16(imp, 2)], [0.0035743713, 0.03186035])
        XCTAssertEqual([ref[4], ref[8], ref[16 + 7] & 1, ref[48 + 7] & 0xF], [0x3F, 0x3F, 1, 0xF])
        XCTAssertEqual(try ends(.q5_K, ref), [-1.9995117, 4.9886856])
    }

    func testQ6_KRamp() throws {
        // d (bytes 208-209) = 0x152b = 2^-10 (1 + 299/1024) = 0.0012617111. Sub-block scales (bytes
        // 192-207, int8) 80 2b 25 ... cf: sub-block 0 holds the outlier, so its scale has the largest
        // magnitude and maps to -128; sc_1 = 43, sc_15 = -49. Weight 0 = d (-128) (44 - 32) = -1.9379883,
        // weight 7 = d (-128) (1 - 32) = 5.0064697.
        let (ref, imp) = try assertRamp(.q6_K)
        XCTAssertEqual([fp16(ref, 208), fp16(imp, 208)], [0.0012617111, 0.0012655258])
        XCTAssertEqual([Int8(bitPattern: ref[192]), Int8(bitPattern: ref[193]), Int8(bitPattern: ref[207])], [-128, 43, -49])
        XCTAssertEqual(try ends(.q6_K, ref), [-1.9379883, 5.0064697])
    }

    func testQ2_KRamp() throws {
        // d (bytes 80-81) = 0x3358 = 2^-3 (1 + 856/1024) = 0.22949219, dmin = 0x3006 = 0.12573242. Byte 0 =
        // 0xff: sub-block 0's sc = 15 (low nibble), m = 15. Byte 16 + 7 = 0x56: weight 7's code in bits 0-1
        // is 2 -> d 15 * 2 - dmin 15 = 4.9987793; weight 0 code 0 -> -dmin 15 = -1.8859863.
        let (ref, imp) = try assertRamp(.q2_K)
        XCTAssertEqual([fp16(ref, 80), fp16(ref, 82)], [0.22949219, 0.12573242])
        XCTAssertEqual([fp16(imp, 80), fp16(imp, 82)], [0.22753906, 0.12371826])
        XCTAssertEqual([ref[0], ref[16 + 7]], [0xFF, 0x56])
        XCTAssertEqual(try ends(.q2_K, ref), [-1.8859863, 4.9987793])
    }

    func testQ3_KRamp() throws {
        // d (bytes 108-109) = 0x28d9 = 2^-5 (1 + 217/1024) = 0.037872314. Sub-block 0's 6-bit scale: low
        // nibble of byte 96 (0xe0) = 0, top bits in bits 0-1 of byte 104 (0x58) = 0 -> 0 - 32 = -32. Weight 0:
        // 2-bit code 2 (byte 32), hmask bit set (byte 0 bit 0) -> q - 4 = 2 -> d (-32) 2 = -2.4238281;
        // weight 7: code 0, hmask clear -> q - 4 = -4 -> 4.8476562.
        let (ref, imp) = try assertRamp(.q3_K)
        XCTAssertEqual([fp16(ref, 108), fp16(imp, 108)], [0.037872314, 0.056793213])
        XCTAssertEqual([ref[96] & 0xF, ref[104] & 3, ref[32] & 3, ref[0] & 1, ref[7] & 1, ref[32 + 7] & 3], [0, 0, 2, 1, 0, 0])
        XCTAssertEqual(try ends(.q3_K, ref), [-2.4238281, 4.8476562])
    }

    func testQ4_1Ramp() throws {
        // d = 0x3777 = 2^-2 (1 + 887/1024) = 0.46655273 = (5 - -2) / 15 in fp16, m = 0xc000 = -2 (the block's
        // minimum). Byte 4 = 0x40: weight 0 code 0, weight 16 (x = 0) code 4 = trunc(2 / d + 0.5). Byte 11 =
        // 0x6f: weight 7 (the outlier) code 15 -> 15 d - 2 = 4.998291, weight 23 (x = 0.875) code 6. With
        // importance 1 + j % 3 the affine search fits d = 0x3771 = 0.4650879, m = 0xc005 = -2.0097656.
        let (ref, imp) = try assertRamp(.q4_1)
        XCTAssertEqual([fp16(ref, 0), fp16(ref, 2)], [0.46655273, -2])
        XCTAssertEqual([fp16(imp, 0), fp16(imp, 2)], [0.4650879, -2.0097656])
        XCTAssertEqual([ref[4], ref[11]], [0x40, 0x6F])
        XCTAssertEqual(try ends(.q4_1, ref), [-2, 4.998291])
    }

    func testQ5_1Ramp() throws {
        // d = 0x333a = 2^-3 (1 + 826/1024) = 0.22583008 = 7 / 31 in fp16, m = -2. qh (bytes 4-7) = 0xf0000080:
        // the fifth bit of weight 7 (code 31) and of weights 28-31 (x >= 1.5, codes 16). Byte 15 = 0xdf: weight
        // 7's low nibble 15 (31 d - 2 = 5.0007324), weight 23's code 13. Importance: d = 0x332d = 0.22424316,
        // m = 0xbfc9 = -1.9462891 (the fit moves the offset above the minimum; weight 0 then reads -1.9462891).
        let (ref, imp) = try assertRamp(.q5_1)
        XCTAssertEqual([fp16(ref, 0), fp16(ref, 2)], [0.22583008, -2])
        XCTAssertEqual([fp16(imp, 0), fp16(imp, 2)], [0.22424316, -1.9462891])
        XCTAssertEqual(Array(ref[4..<8]) + [ref[15]], [0x80, 0x00, 0x00, 0xF0, 0xDF])
        XCTAssertEqual(try ends(.q5_1, ref), [-2, 5.0007324])
    }

    func testMixedMatrixChecksums() throws {
        // 12 rows of five kinds (Gaussian, outliers, zero and constant runs, negative only, tiny) x 512.
        let w = GGMLFixtures.mixed(rows: 12, cols: 512, seed: 7)
        let importance = GGMLFixtures.importance(cols: 512, seed: 8)
        for type in GGMLBlockType.allCases {
            let expected = try XCTUnwrap(Self.mixedChecksums[type])
            let ref = try GGMLBlockQuantizer.quantize(w, type: type, name: "mixed")
            let imp = try GGMLBlockQuantizer.quantize(w, type: type, importance: importance, name: "mixed")
            XCTAssertEqual(ref.count, 12 * type.rowBytes(cols: 512))
            XCTAssertEqual(GGMLFixtures.fnv1a(ref), expected.reference, "\(type.name) reference path")
            XCTAssertEqual(GGMLFixtures.fnv1a(imp), expected.importance, "\(type.name) importance path")
        }
    }

    func testLargeGaussianChecksums() throws {
        // 64 x 1024 of N(0, 0.02^2): enough sub-blocks that every grid step of the scale searches wins
        // somewhere (a grid one step short changes these sums).
        let w = gaussian(rows: 64, cols: 1024, seed: 9, sigma: 0.02)
        let importance = GGMLFixtures.importance(cols: 1024, seed: 10)
        let expected: [GGMLBlockType: (reference: UInt64, importance: UInt64)] = [
            .q8_0: (0x0069_E78C_0DE8_7FDF, 0x0069_E78C_0DE8_7FDF),
            .q4_0: (0x3DAF_BC1C_D2DE_7C5D, 0xB2F3_B51D_81A4_A0B5),
            .q5_0: (0xA351_E10E_F244_56E7, 0x2E1B_876E_055D_B06C),
            .q4_K: (0xF14F_3353_1C0F_EEB9, 0x2437_4632_904B_6A0F),
            .q5_K: (0x7E26_8297_E572_A401, 0x2232_58F8_2200_DE9B),
            .q6_K: (0x65EE_3BF4_A5C0_7E18, 0xF44D_FE02_FE45_8B93),
            .q2_K: (0x99EA_4C5F_362D_A85B, 0x3B0C_8928_3AAF_7987),
            .q3_K: (0x7033_EB57_2175_336A, 0xF16C_953A_ADCE_34C3),
            .q4_1: (0x57E4_E19A_528A_4998, 0xEDFA_C883_A46E_3961),
            .q5_1: (0xC3E7_2F55_113A_0793, 0x0FD8_4CE2_6536_10F7),
        ]
        for type in GGMLBlockType.allCases {
            let sums = try XCTUnwrap(expected[type])
            let ref = try GGMLBlockQuantizer.quantize(w, type: type, name: "gaussian")
            let imp = try GGMLBlockQuantizer.quantize(w, type: type, importance: importance, name: "gaussian")
            XCTAssertEqual(GGMLFixtures.fnv1a(ref), sums.reference, "\(type.name) reference path")
            XCTAssertEqual(GGMLFixtures.fnv1a(imp), sums.importance, "\(type.name) importance path")
        }
    }

    /// Each type's bytes for the ramp (`GGMLFixtures.ramp`: one block, x_j = (j - n/2) / (n/4) with
    /// x_7 = 5) without and with importance 1 + j % 3, as llama.cpp 0c1e570's `quantize_X` (libggml-base
    /// built by its CMake, Release) wrote them for the same floats. Hex, block bytes in storage order.
    static let rampBytes: [GGMLBlockType: (reference: String, importance: String)] = [
        .q8_0: (
            reference: "0a29cdd0d4d7dadde07fe7eaedf0f3f6fafd0003060a0d101316191d202326292c30",
            importance: "0a29cdd0d4d7dadde07fe7eaedf0f3f6fafd0003060a0d101316191d202326292c30"),
        .q4_0: (
            reference: "00b98b8b8b7b7a7a7a706a69696969595858",
            importance: "f3b88b8b8b7b7a7a7a706a69696969595858"),
        .q5_0: (
            reference: "00b57fff03000606f6f5e5e4e4d0d3c3c2c2b2b1a1a0",
            importance: "feb47fff03000606f6f5e5e4e4d0d3c3c2c2b2b1a1a0"),
        .q4_K: (
            reference: "7d1f01283f0404443f30201004090d02001010202030304f40505060607080809091a1a1b1b1c1c1d1d1e1e1f1f1f1f1"
            + "001111222233334444555566667778889999aaaabbbbccccddddeeeeffffffff808181829293939494a5a5a6a6b7b7b8"
            + "b9c9cacacbdbdcdcddedeeeeefefffffbbcbcbcbcbcbccccccccdcdcdcddddddddddedeeeeeeeeeeeeefefffffffffff",
            importance: "7e1ffd273f0404443f30201004090d02000010202030304f40505060607070808091a1a1b1b1c1c1d1d1e1e1f1f1f1f1"
            + "001011222233334444555566667777889899aaaabbbbccccddddeeeeffffffff808181829293939494a5a5a6a6b7b7b8"
            + "b9c9cacacbdbdcdcddedeeeeefefffffbbcbcbcbcbcbcbccccccdcdcdcddddddddddedeeeeeeeeeeeeefefffffffffff"),
        .q5_K: (
            reference: "541b10283f0404443f2f201004090d02e0e0e0e0e0e0e0e1e0e0e0e0e0e0ecfefefefefefefefefefefefefefefefefe"
            + "001020304050607f8191a1b1d1e1f1011121314151617292a2b2c2d2e2f2f2f211223344556778899aabbcddeeff0011"
            + "23344556677899aabbccddefffffffff0001021314252738394a4b5c5d6e6f707183849596a7a8b9bacbccdddfefefff"
            + "75868687879798989899a9a9aaaababbbbbbcccccccddddddedeeeefefefffff",
            importance: "521b14283f0404443f2f1f1004090e02e0e0e0e0e0e0e0e1e0e0e0e0e0e0e8fefefefefefefefefefefefefefefefefe"
            + "001020304050607f91a1b1c1d1e1f1011121315161718292a2b2c2d2e2f2f2f2102031425465768798b9cadbecfd0e10"
            + "21324354758697a8b9cadcedfeffffff0001121314252738394a4b5c5d6e6f707183849596a7a8b9bacbccdedfefefff"
            + "74848585859696969697a7a7a8a8b8b9b9b9cacacacbdbdbdbdcececededfdfe"),
        .q6_K: (
            reference: "0c1c1c2c2c3c3c414c5c5b6b6b7b7b8b1010203131415152627273839393a4a40000112131425262738393a4b4c4d5e5"
            + "001031517292b2d3f324446485a5c6e6606e6c5a584644423f3d2b29271513015f5e5d4c4b4a39383726252413121100"
            + "4b4a4a393938372726251514131302014838373736262525241413131202010102020202020202000202020202020202"
            + "000000000000000000404040404040400201010101010101000000000000000000000000000000000000000000000000"
            + "802b251f19130c06faf4ede7e1dbd5cf2b15",
            importance: "0c0c0c1c1c2c2c313c4b4b5b5b6b6b7b000000112131324252526373738494940000112131425262738393a4b4c4d5f5"
            + "001131517292b3d30324446585a5c6e6605e5c4a48463432202d2b1917050301505f5d4c4b4a39383726252413121100"
            + "4b4b4a493938372726252514131302014747464635353434232322221111101002020202020202000202020202020202"
            + "000000000000000040404040404040400201010101010101010000000000000001000000000000000000000000000000"
            + "802b251f18120c06faf4ede8e2dbd5ce2f15"),
        .q2_K: (
            reference: "ffe0c0a08060402000010101020203030000000054545456a8a8a8a8fcfcfcfc0000000055555595aaaaaaeaffffffff"
            + "a8a8a8a9a9adadaeaeaebebebfbfbffffdfdfdfdfdfdfdfefefefefefefefefe58330630",
            importance: "ffe0c0a08060402000010101020203030000000054545456a8a8a8a8fcfcfcfc0000000055555555aaaaaaaaffffffff"
            + "a8a8a8a9a9adadaeaebebebebfbffffffdfdfdfdfdfdfefefefefefefefefefe4833eb2f"),
        .q3_K: (
            reference: "111111010101010001010101010101010000000000000000000000000000080802020202020202404242424241419191"
            + "404040408080909090d0d0d0d0d414141414141707070707060606020201010116161611110101010101000000000000"
            + "e0dbb9a886655342585a5a5ad928",
            importance: "111101010101010001010101010101010000000000000000000000000000000805050505050505454545454545459595"
            + "0404040444444484848494d4d4d4d4141414171717171612121211111110101046464641414141414141404040404040"
            + "f1e7d8c794a39251585a5a5a452b"),
        .q4_1: (
            reference: "773700c0405051515161626f6272737383838484",
            importance: "713705c0405051515161626f6272737383848484"),
        .q5_1: (
            reference: "3a3300c0800000f09091a1b2b2c3c3dfd4e5e6f607071818",
            importance: "2d33c9bf800000e09090a1a1b2b3c3dfd4e5e5f6f6070818"),
    ]

    /// FNV-1a of each type's bytes for `GGMLFixtures.mixed(rows: 12, cols: 512, seed: 7)`, without and
    /// with `GGMLFixtures.importance(cols: 512, seed: 8)`, from the same llama.cpp build.
    static let mixedChecksums: [GGMLBlockType: (reference: UInt64, importance: UInt64)] = [
        .q8_0: (0xEC9E_8461_D4FD_8844, 0xEC9E_8461_D4FD_8844),
        .q4_0: (0x68CC_B520_E1B6_0B12, 0xC0B5_D6DE_BC9C_0231),
        .q5_0: (0xF5FE_53F2_D559_03B1, 0x91CC_16F9_3531_EE80),
        .q4_K: (0x9B53_A3D4_675B_2E2C, 0x2A02_C4E6_C384_8BCE),
        .q5_K: (0xA7CF_E8DE_49EE_23EE, 0x16E7_1382_799A_6364),
        .q6_K: (0xCD4A_CB2A_0BCE_D35B, 0x358D_B9E0_2FC1_1C85),
        .q2_K: (0x57DC_8E8B_BA3E_FF0D, 0x964B_FF84_CA1A_A854),
        .q3_K: (0x2FD3_D8DA_BD60_1679, 0x20F0_1900_A656_0F03),
        .q4_1: (0xC3F3_16E6_2FA5_2E68, 0xB0FF_9695_0A22_DF0C),
        .q5_1: (0xD24B_7E13_5F01_4D10, 0x975C_9C61_2B76_9982),
    ]
}
