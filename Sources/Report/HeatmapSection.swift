import Foundation
import Model
import Sensitivity

/// Score per layer (rows in block order, grouped by block) x format (columns by ascending bits),
/// on a log colour scale (viridis); exact zeros hatched. Long tables wrap into up to three panels.
/// Above `LayerGrid.defaultThreshold` layers, a row is the mean score of one layer kind over a bin
/// of blocks.
struct HeatmapSection: ReportSection {
    let context: ReportContext
    var id: String { "heatmap" }
    var title: String { "Sensitivity heatmap" }

    /// Pixel geometry of the chart.
    private let rowHeight = 10.0, blockGap = 4.0, cellWidth = 44.0
    private let headerHeight = 86.0, panelGap = 24.0, legendHeight = 64.0
    /// Rows per panel before the table wraps into another panel (at most three).
    private let rowsPerPanel = 80

    /// Mean score of a row in format `f` (the single layer's score when not aggregated).
    func value(_ row: LayerGrid.Row, format f: Int) -> Double {
        var sum = 0.0
        for m in row.members { sum += context.analysis.score(layer: m, format: f) }
        return sum / Double(row.members.count)
    }

    /// The colour scale spans the values shown (row means when aggregated, so bins stay distinguishable).
    var scale: LogColorScale {
        let formats = context.analysis.formats.indices
        return LogColorScale(values: context.grid.rows.lazy.flatMap { row in formats.lazy.map { value(row, format: $0) } })
    }

    /// Width of the row-label column: the longest group label plus room for the kind.
    private var labelWidth: Double {
        let longest = context.grid.groups.map(\.label.count).max() ?? 8
        return max(112, Double(longest) * 5.6 + 44)
    }

    func html(_ b: inout HTMLBuilder) {
        let grid = context.grid, analysis = context.analysis
        let scale = self.scale
        let what = grid.aggregated
            ? "Each row is the mean score of one layer kind over a bin of consecutive blocks (\(HumanNumber.grouped(context.profile.layers.count)) layers are too many to show one by one)."
            : "Each row is one layer; rows are in block order, grouped by block."
        b.paragraph("Predicted loss increase (\(ReportContext.lossUnit)) when only that layer takes that format, "
                    + "estimator \(context.profile.estimator). \(what) Colours are log-scaled from "
                    + "\(HumanNumber.significant(scale.minimum)) (dark) to \(HumanNumber.significant(scale.maximum)) "
                    + "(bright); hatched cells are exactly 0. Hover a cell for its value.")
        let panels = panelRanges()
        let columns = analysis.formatOrder
        let panelWidth = labelWidth + cellWidth * Double(columns.count)
        var panelHeights: [Double] = []
        for p in panels { panelHeights.append(height(of: p)) }
        let width = Double(panels.count) * panelWidth + Double(panels.count - 1) * panelGap
        let height = headerHeight + (panelHeights.max() ?? 0) + legendHeight
        var frame = PlotFrame(width: max(width, 420), height: height)
        frame.left = 0
        b.element(.figure, [("class", "wide")]) { b in
            SVGPlot.open(&b, frame, title: "Score per layer and format", className: "chart heatmap")
            b.element(.defs) { b in
                b.element(.pattern, [("id", "zero-hatch"), ("width", "6"), ("height", "6"),
                                     ("patternUnits", "userSpaceOnUse")]) { b in
                    b.empty(.rect, [("width", "6"), ("height", "6"), ("fill", "#ffffff")])
                    b.empty(.path, [("d", "M0 6L6 0M-1 1L1 -1M5 7L7 5"), ("stroke", "#8a8a8a"), ("stroke-width", "1")])
                }
            }
            for (p, range) in panels.enumerated() {
                drawPanel(&b, rows: range, x0: Double(p) * (panelWidth + panelGap), scale: scale, columns: columns)
            }
            drawLegend(&b, y0: height - legendHeight + 18, scale: scale)
            b.close(.svg)
            if let note = exactFormatNote() { b.element(.figcaption, text: note) }
        }
    }

    /// Row index ranges of the panels, split at group boundaries.
    func panelRanges() -> [Range<Int>] {
        let rows = context.grid.rows
        guard !rows.isEmpty else { return [0..<0] }
        let panels = min(3, (rows.count + rowsPerPanel - 1) / rowsPerPanel)
        let target = (rows.count + panels - 1) / panels
        var ranges: [Range<Int>] = [], start = 0
        for i in 1..<rows.count where rows[i].group != rows[i - 1].group && i - start >= target && ranges.count < panels - 1 {
            ranges.append(start..<i)
            start = i
        }
        ranges.append(start..<rows.count)
        return ranges
    }

    private func height(of range: Range<Int>) -> Double {
        let rows = context.grid.rows
        var groups = 0
        for i in range where i == range.lowerBound || rows[i].group != rows[i - 1].group { groups += 1 }
        return Double(range.count) * rowHeight + Double(max(groups - 1, 0)) * blockGap
    }

    private func drawPanel(_ b: inout HTMLBuilder, rows range: Range<Int>, x0: Double, scale: LogColorScale,
                           columns: [Int]) {
        let grid = context.grid, layers = context.profile.layers
        b.open(.g, [("class", "panel")])
        for (c, f) in columns.enumerated() {
            let cx = x0 + labelWidth + (Double(c) + 0.5) * cellWidth
            b.element(.text, [("x", SVGPlot.px(cx)), ("y", SVGPlot.px(headerHeight - 6)), ("class", "col-label"),
                              ("transform", "rotate(-45 \(SVGPlot.px(cx)) \(SVGPlot.px(headerHeight - 6)))")],
                      text: context.formatLabel(f))
        }
        var y = headerHeight
        for i in range {
            let row = grid.rows[i]
            let newGroup = i == range.lowerBound || grid.rows[i - 1].group != row.group
            if newGroup && i != range.lowerBound { y += blockGap }
            if newGroup {
                b.element(.text, [("x", SVGPlot.px(x0)), ("y", SVGPlot.px(y + rowHeight - 1.5)), ("class", "group-label")],
                          text: grid.groups[row.group].label)
            }
            let rowName = row.members.count == 1 ? layers[row.members[0]].name
                : "\(grid.groups[row.group].label), \(row.kind.profileName) (\(row.members.count) layers, mean)"
            b.element(.text, [("x", SVGPlot.px(x0 + labelWidth - 4)), ("y", SVGPlot.px(y + rowHeight - 1.5)),
                              ("class", "row-label"), ("text-anchor", "end")], text: row.kind.profileName)
            for (c, f) in columns.enumerated() {
                let v = value(row, format: f)
                let fill: String
                switch scale.fill(v) {
                case .zero: fill = "url(#zero-hatch)"
                case .color(let rgb): fill = rgb.hex
                }
                b.element(.rect, [("x", SVGPlot.px(x0 + labelWidth + Double(c) * cellWidth)), ("y", SVGPlot.px(y)),
                                  ("width", SVGPlot.px(cellWidth - 1)), ("height", SVGPlot.px(rowHeight - 1)),
                                  ("fill", fill)]) { b in
                    b.element(.title, text: "\(rowName) · \(context.profile.formats[f]): "
                              + "\(HumanNumber.significant(v)) \(ReportContext.lossUnit)")
                }
            }
            y += rowHeight
        }
        b.close(.g)
    }

    /// Colour bar with a tick per decade, and the hatched zero swatch.
    private func drawLegend(_ b: inout HTMLBuilder, y0: Double, scale: LogColorScale) {
        let x0 = 8.0, barWidth = 300.0, steps = 60
        b.open(.g, [("class", "legend")])
        b.element(.text, [("x", SVGPlot.px(x0)), ("y", SVGPlot.px(y0 - 6)), ("class", "legend-title")],
                  text: "score (\(ReportContext.lossUnit), log scale)")
        for s in 0..<steps {
            let t = (Double(s) + 0.5) / Double(steps)
            b.empty(.rect, [("x", SVGPlot.px(x0 + Double(s) * barWidth / Double(steps))), ("y", SVGPlot.px(y0)),
                            ("width", SVGPlot.px(barWidth / Double(steps) + 0.5)), ("height", "12"),
                            ("fill", Viridis.color(at: t).hex)])
        }
        let axis = Axis(lower: scale.minimum, upper: max(scale.maximum, scale.minimum * 10), kind: .log10)
        var ticks = axis.ticks.filter { $0 >= scale.minimum && $0 <= scale.maximum }
        if ticks.isEmpty { ticks = [scale.minimum, scale.maximum] }
        for t in ticks {
            let x = x0 + (scale.position(t) ?? 0) * barWidth
            b.empty(.line, [("x1", SVGPlot.px(x)), ("x2", SVGPlot.px(x)), ("y1", SVGPlot.px(y0 + 12)),
                            ("y2", SVGPlot.px(y0 + 16)), ("class", "tick-mark")])
            b.element(.text, [("x", SVGPlot.px(x)), ("y", SVGPlot.px(y0 + 27)), ("class", "tick"),
                              ("text-anchor", "middle")], text: HumanNumber.compact(t))
        }
        b.empty(.rect, [("x", SVGPlot.px(x0 + barWidth + 30)), ("y", SVGPlot.px(y0)), ("width", "24"), ("height", "12"),
                        ("fill", "url(#zero-hatch)"), ("stroke", "#8a8a8a")])
        b.element(.text, [("x", SVGPlot.px(x0 + barWidth + 60)), ("y", SVGPlot.px(y0 + 10)), ("class", "tick")],
                  text: "exactly 0")
        b.close(.g)
    }

    /// The caveats of the stored checkpoint, or nil: formats scoring 0 on every layer (the weights
    /// already lie on that grid), and, for a model stored as GGUF Q4_1, what that means for the 4-bit
    /// asymmetric format with groups of 32.
    func exactFormatNote() -> String? {
        var notes: [String] = []
        let exact = context.analysis.formats.filter(\.isExactOnModel).map(\.name.name)
        if !exact.isEmpty {
            notes.append("* \(exact.joined(separator: ", ")) scores exactly 0 on every layer: the stored weights already "
                + "lie on that grid, so re-quantizing reproduces them. This is a property of the stored checkpoint, not "
                + "evidence that the format is lossless for the original weights.")
        }
        if context.storedAsQ41 {
            var note = "The model is stored as GGUF Q4_1: per 32 weights w = d·q + m with an fp16 scale d and a free "
                + "fp16 minimum m. Every format here re-quantizes weights that are already 4-bit, so scores measure the "
                + "loss relative to the Q4_1 model, not to the original bf16 weights."
            if let q41 = context.q41LookalikeFormat {
                note = "* " + note + " \(q41) has the same groups and 16 levels but an integer zero point, so it does "
                    + "not reproduce the stored weights exactly; its scores are low but not 0."
            }
            notes.append(note)
        }
        return notes.isEmpty ? nil : notes.joined(separator: " ")
    }

    func markdown(_ m: inout MarkdownBuilder) {
        let a = context.analysis, layers = context.profile.layers
        let topN = min(20, layers.count)
        m.paragraph("Scores (predicted loss increase, \(ReportContext.lossUnit)) of the \(topN) most sensitive layers "
                    + "(ranked by their score in \(a.referenceFormat.map { context.profile.formats[$0].name } ?? "-")). "
                    + "The full heatmap of all \(HumanNumber.grouped(layers.count)) layers is in report.html.")
        let columns = a.formatOrder
        let rows = a.ranking.prefix(topN).map { li in
            [MarkdownBuilder.code(layers[li].name)] + columns.map { HumanNumber.significant(a.score(layer: li, format: $0)) }
        }
        m.table(["layer"] + columns.map { context.formatLabel($0) },
                [.left] + columns.map { _ in .right }, rows)
        if let note = exactFormatNote() { m.paragraph(MarkdownBuilder.escape(note)) }
    }
}
