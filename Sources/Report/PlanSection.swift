import Search
import Sensitivity

/// The chosen plan(s): a comparison table, then per plan a strip of formats (blocks x layer kinds),
/// bits per weight by layer kind and by depth.
struct PlanSection: ReportSection {
    let context: ReportContext
    var id: String { "plan" }
    var title: String { "Chosen plan" }

    static let headers = ["plan", "target bits", "achieved (searched)", "achieved (model)", "predicted loss (nats/token)",
                          "solver", "gap", "solve time"]

    /// Which layers quantize their input activations (W4A4, W8A8 formats) and which keep float
    /// activations; nil for a weight-only plan.
    static func activationLine(_ plan: QuantizationPlan) -> String? {
        let quantized = plan.layers.filter { $0.format.activation != nil }
        guard !quantized.isEmpty else { return nil }
        let byFormat = Dictionary(grouping: quantized, by: { $0.format.name })
            .sorted { $0.key < $1.key }.map { "\($0.value.count) in \($0.key)" }.joined(separator: ", ")
        return "Activations: \(quantized.count) layers quantize their inputs (\(byFormat)); "
            + "\(plan.layers.count - quantized.count) keep float activations. Quantized inputs: "
            + quantized.map { $0.name.replacingOccurrences(of: ".weight", with: "") }.joined(separator: ", ") + "."
    }

    var summaryRows: [[String]] {
        context.input.plans.map { p in
            let a = p.plan.achieved, s = p.plan.solver
            return [p.label, HumanNumber.significant(p.plan.budget.averageBits) + " (\(p.plan.budget.scope.rawValue))",
                    HumanNumber.significant(a.searchedAverage), HumanNumber.significant(a.modelAverage),
                    HumanNumber.significant(p.plan.predictedLoss), "\(s.status)", HumanNumber.percent(s.gap),
                    HumanNumber.seconds(s.seconds)]
        }
    }

    func html(_ b: inout HTMLBuilder) {
        guard !context.input.plans.isEmpty else {
            b.paragraph("No plan given (pass --plan plan.json).", className: "note")
            return
        }
        b.table(Self.headers, numeric: [1, 2, 3, 4, 6, 7], rows: summaryRows)
        for labeled in context.input.plans {
            let stats = PlanStats(plan: labeled.plan, context: context)
            b.element(.h3, text: "Plan \(labeled.label): format per layer")
            if let line = Self.activationLine(labeled.plan) { b.paragraph(line) }
            strip(&b, stats)
            b.element(.div, [("class", "charts")]) { b in
                b.element(.figure) { b in kindChart(stats, plan: labeled.plan).render(&b) }
                b.element(.figure) { b in depthChart(stats, plan: labeled.plan).render(&b) }
            }
        }
    }

    /// Rows = blocks (or bins), columns = layer kinds; cell colour and text = format.
    private func strip(_ b: inout HTMLBuilder, _ stats: PlanStats) {
        let grid = context.grid, order = context.analysis.formatOrder
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let cellW = 78.0, cellH = 15.0, labelW = 104.0, header = 20.0
        let legendRows = (order.count + 3) / 4
        var frame = PlotFrame(width: labelW + cellW * Double(grid.kinds.count) + 8,
                              height: header + cellH * Double(grid.groups.count) + 14 + 18 * Double(legendRows))
        frame.width = max(frame.width, 4 * 150)
        SVGPlot.open(&b, frame, title: "Format per block and layer kind", className: "chart strip")
        for (c, kind) in grid.kinds.enumerated() {
            b.element(.text, [("x", SVGPlot.px(labelW + (Double(c) + 0.5) * cellW)), ("y", "14"), ("class", "col-label"),
                              ("text-anchor", "middle")], text: kind.profileName)
        }
        for (g, group) in grid.groups.enumerated() {
            let y = header + Double(g) * cellH
            b.element(.text, [("x", SVGPlot.px(labelW - 6)), ("y", SVGPlot.px(y + cellH - 4)), ("class", "row-label"),
                              ("text-anchor", "end")], text: group.label)
            for (c, kind) in grid.kinds.enumerated() {
                guard let (f, share) = stats.dominant(group: g, kind: kind, order: order) else { continue }
                let color = FormatPalette.color(rank: rank[f] ?? 0)
                let name = context.profile.formats[f].name
                let x = labelW + Double(c) * cellW
                b.element(.rect, [("x", SVGPlot.px(x)), ("y", SVGPlot.px(y)), ("width", SVGPlot.px(cellW - 1)),
                                  ("height", SVGPlot.px(cellH - 1)), ("fill", color.hex)]) { b in
                    b.element(.title, text: "\(group.label), \(kind.profileName): \(name)"
                              + (share < 1 ? " (\(HumanNumber.percent(share)) of parameters)" : ""))
                }
                b.element(.text, [("x", SVGPlot.px(x + cellW / 2)), ("y", SVGPlot.px(y + cellH - 4)),
                                  ("class", "cell-label"), ("text-anchor", "middle"),
                                  ("fill", FormatPalette.textColor(on: color))], text: name + (share < 1 ? "+" : ""))
            }
        }
        let ly = header + cellH * Double(grid.groups.count) + 12
        for (r, f) in order.enumerated() {
            let x = 8 + Double(r % 4) * 150, y = ly + Double(r / 4) * 18
            b.empty(.rect, [("x", SVGPlot.px(x)), ("y", SVGPlot.px(y)), ("width", "14"), ("height", "12"),
                            ("fill", FormatPalette.color(rank: r).hex)])
            b.element(.text, [("x", SVGPlot.px(x + 20)), ("y", SVGPlot.px(y + 10)), ("class", "tick")],
                      text: "\(context.profile.formats[f]) (\(HumanNumber.significant(context.analysis.formats[f].bitsPerWeight)) b/w)")
        }
        b.close(.svg)
        if grid.aggregated || stats.cells.contains(where: { $0.values.contains { $0.count > 1 } }) {
            b.paragraph("A “+” marks a cell whose layers do not all share one format; it shows the format holding most parameters.",
                        className: "note")
        }
    }

    private func kindChart(_ stats: PlanStats, plan: QuantizationPlan) -> BarChart {
        let kinds = context.grid.kinds
        return BarChart(title: "Bits per weight by layer kind", categories: kinds.map(\.profileName),
                        values: kinds.map { k in stats.byKind[k].map { Double($0.bits) / Double(max($0.parameters, 1)) } ?? 0 },
                        yLabel: "bits/weight", xLabel: "layer kind",
                        references: [(plan.achieved.searchedAverage, "plan average \(HumanNumber.significant(plan.achieved.searchedAverage))")],
                        width: 420)
    }

    private func depthChart(_ stats: PlanStats, plan: QuantizationPlan) -> BarChart {
        let groups = context.grid.groups
        let names = groups.map { $0.label.replacingOccurrences(of: "blocks ", with: "").replacingOccurrences(of: "block ", with: "") }
        return BarChart(title: "Bits per weight by depth", categories: names,
                        values: stats.byGroup.map { Double($0.bits) / Double(max($0.parameters, 1)) },
                        yLabel: "bits/weight", xLabel: context.grid.aggregated ? "blocks (binned)" : "block",
                        references: [(plan.achieved.searchedAverage, "plan average")], width: 640)
    }

    func markdown(_ m: inout MarkdownBuilder) {
        guard !context.input.plans.isEmpty else {
            m.paragraph("No plan given.")
            return
        }
        m.table(Self.headers, [.left, .right, .right, .right, .right, .left, .right, .right], summaryRows)
        let order = context.analysis.formatOrder, kinds = context.grid.kinds
        for labeled in context.input.plans {
            let stats = PlanStats(plan: labeled.plan, context: context)
            m.heading(3, "Plan \(labeled.label): format per block and layer kind")
            if let line = Self.activationLine(labeled.plan) { m.paragraph(line) }
            let rows = context.grid.groups.indices.map { g -> [String] in
                let bits = stats.byGroup[g]
                return [context.grid.groups[g].label] + kinds.map { k in
                    stats.dominant(group: g, kind: k, order: order).map {
                        context.profile.formats[$0.format].name + ($0.share < 1 ? "+" : "")
                    } ?? ""
                } + [HumanNumber.significant(Double(bits.bits) / Double(max(bits.parameters, 1)))]
            }
            m.table(["blocks"] + kinds.map(\.profileName) + ["bits/weight"],
                    [.left] + kinds.map { _ in .left } + [.right], rows)
            m.paragraph("Bits per weight by layer kind: " + kinds.map { k in
                let v = stats.byKind[k].map { Double($0.bits) / Double(max($0.parameters, 1)) } ?? 0
                return "\(k.profileName) \(HumanNumber.significant(v))"
            }.joined(separator: ", ") + ".")
        }
    }
}
