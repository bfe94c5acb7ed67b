import Search
import XCTest
import TestSupport
@testable import Report

final class LayoutTests: XCTestCase {
    func testLabelsAtOnePointDoNotOverlap() {
        var placer = LabelPlacer()
        let a = placer.place("int4/g128", px: 100, py: 100)
        let b = placer.place("mxfp4", px: 100, py: 100)
        let c = placer.place("nvfp4", px: 101, py: 99)
        XCTAssertEqual(a.x, 107)
        XCTAssertEqual(a.y, 95)
        XCTAssertEqual(b.x, 107)
        XCTAssertEqual(b.y, 114)  // right-below once right-above is taken
        XCTAssertEqual(c.x, 101 - 7 - 5 * 6.2, accuracy: 1e-9)  // then left of the point
        XCTAssertEqual(c.y, 94)
    }

    func testHeatmapPanelsSplitAtBlockBoundaries() {
        let profile = SyntheticProfile.make(layers: 210, seed: 2)
        let section = HeatmapSection(context: ReportContext(input: ReportInput(profile: profile)))
        XCTAssertEqual(section.panelRanges(), [0..<70, 70..<140, 140..<210])
        // 90 layers: two panels; the split lands on the first block boundary at or after 45 rows
        let small = HeatmapSection(context: ReportContext(input: ReportInput(profile: SyntheticProfile.make(layers: 90, seed: 2))))
        XCTAssertEqual(small.panelRanges(), [0..<49, 49..<90])
        // 21 layers fit one panel
        let tiny = HeatmapSection(context: ReportContext(input: ReportInput(profile: SyntheticProfile.make(layers: 21, seed: 2))))
        XCTAssertEqual(tiny.panelRanges(), [0..<21])
    }
}
