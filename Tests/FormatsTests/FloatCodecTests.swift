@testable import Formats
import XCTest

final class FloatCodecTests: XCTestCase {
    func testE2M1RoundingTable() {
        let cases: [(Float, UInt8)] = [
            (0, 0x0), (-0.0, 0x8), (0.25, 0x0), (0.2500001, 0x1), (0.5, 0x1), (0.75, 0x2), (1.25, 0x2),
            (1.2500001, 0x3), (1.75, 0x4), (2.5, 0x4), (2.5000002, 0x5), (3.5, 0x6), (5, 0x6), (5.0000005, 0x7),
            (6, 0x7), (7.9, 0x7), (1e30, 0x7), (-0.1, 0x8), (-0.5, 0x9), (-3, 0xD), (-6, 0xF), (-100, 0xF),
        ]
        for (x, code) in cases {
            XCTAssertEqual(E2M1.encode(x), code, "\(x)")
            XCTAssertEqual(E2M1.round(x).bitPattern, E2M1.decode(code).bitPattern, "\(x)")
        }
        XCTAssertEqual((0..<16).map { E2M1.decode(UInt8($0)) },
                       [0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6])
    }

    func testE4M3RoundingTable() {
        let cases: [(Float, Float, UInt8)] = [
            (448, 448, 0x7E), (464, 448, 0x7E), (470, 448, 0x7E), (1000, 448, 0x7E), (-1e9, -448, 0xFE),
            (1, 1, 0x38), (1.0625, 1, 0x38), (1.1875, 1.25, 0x3A), (-1.0625, -1, 0xB8),
            (0x1p-6, 0x1p-6, 0x08), (0x1p-9, 0x1p-9, 0x01), (0x1p-10, 0, 0x00), (0x1.8p-10, 0x1p-9, 0x01),
            (0x1.8p-9, 0x1p-8, 0x02), (0x1.ep-7, 0x1p-6, 0x08), (0x1.cp-7, 0x1.cp-7, 0x07), (0, 0, 0x00), (-0.0, -0.0, 0x80),
        ]
        for (x, value, byte) in cases {
            XCTAssertEqual(E4M3.round(x).bitPattern, value.bitPattern, "\(x)")
            XCTAssertEqual(E4M3.encode(E4M3.round(x)), byte, "\(x)")
        }
        XCTAssertTrue(E4M3.decode(0x7F).isNaN)
        XCTAssertTrue(E4M3.decode(0xFF).isNaN)
        for b in 0...255 where b & 0x7F != 0x7F {
            let v = E4M3.decode(UInt8(b))
            XCTAssertEqual(E4M3.encode(v), UInt8(b), "byte \(b)")
            XCTAssertEqual(E4M3.round(v).bitPattern, v.bitPattern, "byte \(b)")
        }
    }
}

final class E2M1ArithmeticTests: XCTestCase {
    /// The fast path's arithmetic `E2M1.round` agrees with the reference threshold count on every
    /// multiple of 1/256 in [-8, 8] (all ties included) and around each tie by one ulp.
    func testRoundAgreesWithEncodeOnAGridOfTies() {
        var xs: [Float] = (-2048...2048).map { Float($0) / 256 }
        for t: Float in [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5] { xs += [t.nextDown, t.nextUp, -t.nextDown, -t.nextUp] }
        for x in xs {
            XCTAssertEqual(E2M1.round(x).bitPattern, E2M1.decode(E2M1.encode(x)).bitPattern, "\(x)")
        }
    }
}
