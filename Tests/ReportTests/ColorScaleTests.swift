import XCTest
@testable import Report

final class ColorScaleTests: XCTestCase {
    func testViridisEndpointsAndMiddle() {
        XCTAssertEqual(Viridis.color(at: 0).hex, "#440154")
        XCTAssertEqual(Viridis.color(at: 1).hex, "#fde725")
        XCTAssertEqual(Viridis.color(at: 0.5).hex, "#21918c")
        // clamped outside [0, 1]
        XCTAssertEqual(Viridis.color(at: -3).hex, "#440154")
        XCTAssertEqual(Viridis.color(at: 7).hex, "#fde725")
        // halfway between stop 0 (#440154) and stop 1 (#482475): channel means rounded half up
        XCTAssertEqual(Viridis.color(at: 0.05), RGB(0x46, 0x13, 0x65))
    }

    func testLogScaleEndpointsZeroAndMidpoint() {
        let scale = LogColorScale(values: [0, 1e-6, 3e-4, 1e-2, .nan, 0])
        XCTAssertEqual(scale.minimum, 1e-6)
        XCTAssertEqual(scale.maximum, 1e-2)
        XCTAssertEqual(scale.decades, 4, accuracy: 1e-12)
        XCTAssertEqual(scale.fill(1e-6), .color(RGB(0x44, 0x01, 0x54)))
        XCTAssertEqual(scale.fill(1e-2), .color(RGB(0xfd, 0xe7, 0x25)))
        XCTAssertEqual(scale.fill(0), .zero)
        XCTAssertEqual(scale.fill(-1), .zero)
        // 1e-4 is two of four decades up: the palette's middle
        XCTAssertEqual(scale.position(1e-4) ?? -1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(scale.fill(1e-4), .color(RGB(0x21, 0x91, 0x8c)))
        // values beyond the ends are clamped, not extrapolated
        XCTAssertEqual(scale.position(1) ?? -1, 1)
        XCTAssertEqual(scale.position(1e-9) ?? -1, 0)
    }

    func testDegenerateScales() {
        let allZero = LogColorScale(values: [0, 0])
        XCTAssertEqual(allZero.minimum, 1)
        XCTAssertEqual(allZero.fill(0), .zero)
        let single = LogColorScale(values: [0.25])
        XCTAssertEqual(single.position(0.25), 1)
    }

    func testTextColorFollowsLuminance() {
        XCTAssertEqual(FormatPalette.textColor(on: RGB(0x44, 0x01, 0x54)), "#ffffff")
        XCTAssertEqual(FormatPalette.textColor(on: RGB(0xf0, 0xe4, 0x42)), "#000000")
    }
}
