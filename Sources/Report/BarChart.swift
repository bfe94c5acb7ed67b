/// A vertical bar chart of one value per category, with optional reference lines.
struct BarChart {
    var title: String
    var categories: [String]
    var values: [Double]
    var yLabel: String
    var xLabel: String
    /// Horizontal dashed lines with a label (e.g. the plan's average).
    var references: [(value: Double, label: String)] = []
    var width = 560.0, height = 260.0

    func render(_ b: inout HTMLBuilder) {
        var frame = PlotFrame(width: width, height: height)
        frame.bottom = categories.count > 12 ? 62 : 50
        let axis = Axis.covering([0] + values + references.map(\.value), kind: .linear)
        SVGPlot.open(&b, frame, title: title)
        SVGPlot.axes(&b, frame, x: Axis(lower: 0, upper: 1, kind: .linear), y: axis, xLabel: xLabel, yLabel: yLabel,
                     xTicks: false)
        let n = Double(max(categories.count, 1))
        let slot = (frame.x(1) - frame.x(0)) / n
        let labelEvery = max(1, Int((Double(categories.count) * 26 / (frame.x(1) - frame.x(0))).rounded(.up)))
        for (i, (name, v)) in zip(categories, values).enumerated() {
            let x = frame.x(0) + Double(i) * slot
            let top = frame.y(axis.unit(v)), bottom = frame.y(axis.unit(0))
            b.element(.rect, [("x", SVGPlot.px(x + slot * 0.12)), ("y", SVGPlot.px(top)),
                              ("width", SVGPlot.px(slot * 0.76)), ("height", SVGPlot.px(max(bottom - top, 0))),
                              ("class", "bar")]) { $0.element(.title, text: "\(name): \(HumanNumber.significant(v))") }
            if i % labelEvery == 0 {
                b.element(.text, [("x", SVGPlot.px(x + slot / 2)), ("y", SVGPlot.px(frame.y(0) + 28)),
                                  ("class", "tick"), ("text-anchor", "middle")], text: name)
            }
        }
        for r in references {
            let y = SVGPlot.px(frame.y(axis.unit(r.value)))
            b.empty(.line, [("x1", SVGPlot.px(frame.x(0))), ("x2", SVGPlot.px(frame.x(1))), ("y1", y), ("y2", y),
                            ("class", "reference")])
            b.element(.text, [("x", SVGPlot.px(frame.x(1) - 4)), ("y", SVGPlot.px(frame.y(axis.unit(r.value)) - 4)),
                              ("class", "tick"), ("text-anchor", "end")], text: r.label)
        }
        b.close(.svg)
    }
}
