import XCTest
@testable import Report

final class HumanNumberTests: XCTestCase {
    func testGroupedThousands() {
        let table: [(Int, String)] = [
            (0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (12345, "12,345"), (999_999, "999,999"),
            (1_000_000, "1,000,000"), (134_515_008, "134,515,008"), (-1234567, "-1,234,567"),
        ]
        for (n, expected) in table { XCTAssertEqual(HumanNumber.grouped(n), expected, "\(n)") }
    }

    func testThreeSignificantDigits() {
        let table: [(Double, String)] = [
            (0, "0"), (1, "1.00"), (0.5, "0.500"), (2.5, "2.50"), (3.14159, "3.14"), (2.675, "2.68"),
            (9.996, "10.0"), (99.95, "100"), (123.4, "123"), (999.4, "999"), (999.5, "1,000"),
            (12345.6, "12,300"), (999_499, "999,000"), (0.001, "0.00100"), (0.0123456, "0.0123"),
            (-0.000456, "-4.56e-4"), (-42.42, "-42.4"),
            // tiny and huge switch to scientific notation
            (0.000999, "9.99e-4"), (1.234e-5, "1.23e-5"), (3e-300, "3.00e-300"), (999_999.5, "1.00e6"),
            (4.5e9, "4.50e9"), (1.7976931348623157e308, "1.80e308"),
            (.nan, "n/a"), (.infinity, "∞"), (-.infinity, "-∞"),
        ]
        for (x, expected) in table { XCTAssertEqual(HumanNumber.significant(x), expected, "\(x)") }
        XCTAssertEqual(HumanNumber.significant(3.14159, digits: 1), "3")
        XCTAssertEqual(HumanNumber.significant(0.000031416, digits: 5), "3.1416e-5")
    }

    func testCompactTicks() {
        let table: [(Double, String)] = [(2.5, "2.5"), (1e-5, "1e-5"), (0.1, "0.1"), (10, "10"), (12300, "12,300"), (2e6, "2e6")]
        for (x, expected) in table { XCTAssertEqual(HumanNumber.compact(x), expected, "\(x)") }
    }

    func testUnits() {
        XCTAssertEqual(HumanNumber.bytes(bits: 8 * 999), "999 B")
        XCTAssertEqual(HumanNumber.bytes(bits: 507_179_520), "63.4 MB")
        XCTAssertEqual(HumanNumber.bytes(bits: 8 * 1_500_000_000), "1.50 GB")
        XCTAssertEqual(HumanNumber.parameters(134_515_008), "135 M")
        XCTAssertEqual(HumanNumber.parameters(7_000_000_000), "7.00 B")
        XCTAssertEqual(HumanNumber.parameters(9999), "9,999")
        XCTAssertEqual(HumanNumber.parameters(884_736), "885 k")
        XCTAssertEqual(HumanNumber.seconds(0.000_85), "850 µs")
        XCTAssertEqual(HumanNumber.seconds(0.0123), "12.3 ms")
        XCTAssertEqual(HumanNumber.seconds(1.234), "1.23 s")
        XCTAssertEqual(HumanNumber.seconds(123), "2.05 min")
        XCTAssertEqual(HumanNumber.percent(0.1234), "12.3 %")
        XCTAssertEqual(HumanNumber.bitsPerWeight(4.25), "4.25 bits/weight")
    }
}
