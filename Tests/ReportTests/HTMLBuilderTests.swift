import XCTest
@testable import Report

final class HTMLBuilderTests: XCTestCase {
    func testEscapesTextAndAttributes() {
        XCTAssertEqual(HTMLBuilder.escape("a<b & c>\"d\" 'e'"), "a&lt;b &amp; c&gt;&quot;d&quot; &#39;e&#39;")
        XCTAssertEqual(HTMLBuilder.escape("plain ünïcode — ok"), "plain ünïcode — ok")
        var b = HTMLBuilder()
        b.element(.td, [("title", "x\"><script>"), ("class", nil)], text: "<script>alert('x')</script>")
        XCTAssertEqual(b.output, "<td title=\"x&quot;&gt;&lt;script&gt;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</td>")
    }

    func testNestingAndVoidElements() {
        var b = HTMLBuilder()
        b.element(.div, [("id", "a")]) { b in
            b.open(.meta, [("charset", "utf-8")])
            b.empty(.rect, [("x", "1")])
            b.text("1 < 2")
        }
        XCTAssertTrue(b.isBalanced)
        XCTAssertEqual(b.output, "<div id=\"a\"><meta charset=\"utf-8\"/><rect x=\"1\"/>1 &lt; 2</div>")
    }

    func testMarkdownCellsAndNames() {
        var m = MarkdownBuilder()
        m.table(["a|b", "n"], [.left, .right], [[MarkdownBuilder.code("x_y`z"), "1,000"]])
        XCTAssertEqual(m.lines[0], "| a\\|b | n |")
        XCTAssertEqual(m.lines[1], "|---|---:|")
        XCTAssertEqual(m.lines[2], "| `x_y'z` | 1,000 |")
        XCTAssertEqual(MarkdownBuilder.escape("a_b*c"), "a\\_b\\*c")
    }

    func testAxisTicks() {
        let log = Axis.covering([3e-5, 0.02, 0], kind: .log10)
        XCTAssertEqual(log.lower, 1e-5, accuracy: 1e-20)
        XCTAssertEqual(log.upper, 0.1, accuracy: 1e-15)
        XCTAssertEqual(log.ticks.count, 5)
        let linear = Axis.covering([2.13, 8.0], kind: .linear)
        XCTAssertEqual(linear.lower, 2)
        XCTAssertEqual(linear.upper, 8)
        XCTAssertEqual(linear.ticks, [2, 4, 6, 8])
        XCTAssertEqual(SVGPlot.px(12.345), "12.3")
        XCTAssertEqual(SVGPlot.px(-0.04), "0")
        XCTAssertEqual(SVGPlot.px(-3.25), "-3.3")
    }
}
