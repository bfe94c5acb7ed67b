import Foundation
import Search
import Sensitivity

/// Predicted loss against average bits: the sweep's Pareto frontier, the uniform-format baselines,
/// the plans, and measured KL (and perplexity) from evaluation files.
struct FrontierSection: ReportSection {
    let context: ReportContext
    var id: String { "frontier" }
    var title: String { "Pareto frontier" }

    private var scopeName: String { context.analysis.scope == .searched ? "searched layers" : "whole model" }

    /// Achieved bits of a plan in the report's scope.
    private func bits(_ plan: QuantizationPlan) -> Double {
        context.analysis.scope == .searched ? plan.achieved.searchedAverage : plan.achieved.modelAverage
    }

    func html(_ b: inout HTMLBuilder) {
        let lead = context.input.sweep.map { "Optimal plans over \($0.frontier.count) budgets (line). " }
            ?? "No sweep given (pass --sweep sweep.json); showing the uniform baselines and plans only. "
        b.paragraph(lead
                    + "Diamonds: one format on every searched layer. Average bits over the \(scopeName), "
                    + "\(context.analysis.counting.rawValue) counting; loss in \(ReportContext.lossUnit), log scale "
                    + "(a loss of exactly 0 is drawn on the bottom edge).")
        b.element(.div, [("class", "charts")]) { b in
            b.element(.figure) { b in lossChart(&b) }
            if context.input.evals.contains(where: { $0.averageBits != nil }) {
                b.element(.figure) { b in pplChart(&b) }
            }
        }
        if !context.input.evals.isEmpty {
            b.element(.h3, text: "Measured")
            b.table(Self.evalHeaders, numeric: [1, 2, 3, 4, 5], rows: evalRows)
        }
    }

    private func lossChart(_ b: inout HTMLBuilder) {
        let a = context.analysis, input = context.input
        let frontier = input.sweep?.frontier ?? []
        let evals = input.evals.filter { $0.averageBits != nil && $0.kl != nil }
        let xs = frontier.map(\.achievedBits) + a.baselines.map(\.averageBits) + input.plans.map { bits($0.plan) }
            + evals.compactMap(\.averageBits)
        let ys = frontier.map(\.predictedLoss) + a.baselines.map(\.predictedLoss)
            + input.plans.map(\.plan.predictedLoss) + evals.compactMap(\.kl)
        let x = Axis.covering(xs, kind: .linear), y = Axis.covering(ys, kind: .log10)
        var frame = PlotFrame(width: 760, height: 460)
        frame.right = 30
        func point(_ bx: Double, _ by: Double) -> (Double, Double) {
            (frame.x(x.unit(bx)), frame.y(by > 0 ? max(y.unit(by), 0) : 0))
        }
        SVGPlot.open(&b, frame, title: "Predicted loss against average bits")
        SVGPlot.axes(&b, frame, x: x, y: y, xLabel: "average bits per weight (\(scopeName))",
                     yLabel: "loss (\(ReportContext.lossUnit))")
        if !frontier.isEmpty {
            let pts = frontier.map { point($0.achievedBits, $0.predictedLoss) }
            b.empty(.polyline, [("points", pts.map { "\(SVGPlot.px($0.0)),\(SVGPlot.px($0.1))" }.joined(separator: " ")),
                                ("class", "frontier")])
            for (f, p) in zip(frontier, pts) {
                SVGPlot.marker(&b, .circle, x: p.0, y: p.1, size: 2.5, className: "frontier-point",
                               tooltip: "target \(HumanNumber.significant(f.targetBits)): \(HumanNumber.significant(f.achievedBits)) bits, "
                                   + "predicted \(HumanNumber.significant(f.predictedLoss))")
            }
        }
        var placer = LabelPlacer()
        for base in a.baselines {
            let p = point(base.averageBits, base.predictedLoss)
            SVGPlot.marker(&b, .diamond, x: p.0, y: p.1, className: "baseline",
                           tooltip: "\(base.format) everywhere: \(HumanNumber.significant(base.averageBits)) bits, "
                               + "predicted \(HumanNumber.significant(base.predictedLoss))")
            let at = placer.place(base.format.name, px: p.0, py: p.1)
            b.element(.text, [("x", SVGPlot.px(at.x)), ("y", SVGPlot.px(at.y)), ("class", "point-label")],
                      text: base.format.name)
        }
        for labeled in input.plans {
            let p = point(bits(labeled.plan), labeled.plan.predictedLoss)
            SVGPlot.marker(&b, .square, x: p.0, y: p.1, size: 5, className: "plan",
                           tooltip: "plan \(labeled.label): \(HumanNumber.significant(bits(labeled.plan))) bits, "
                               + "predicted \(HumanNumber.significant(labeled.plan.predictedLoss))")
        }
        for e in evals {
            let p = point(e.averageBits ?? 0, e.kl ?? 0)
            SVGPlot.marker(&b, .triangle, x: p.0, y: p.1, size: 5, className: "measured",
                           tooltip: "\(e.label ?? "eval"): measured KL \(HumanNumber.significant(e.kl ?? 0)), PPL \(HumanNumber.significant(e.ppl))")
            let at = placer.place(e.label ?? "", px: p.0, py: p.1)
            b.element(.text, [("x", SVGPlot.px(at.x)), ("y", SVGPlot.px(at.y)), ("class", "point-label")], text: e.label ?? "")
        }
        legend(&b, frame, hasFrontier: !frontier.isEmpty, hasPlans: !input.plans.isEmpty, hasEvals: !evals.isEmpty)
        b.close(.svg)
    }

    private func legend(_ b: inout HTMLBuilder, _ frame: PlotFrame, hasFrontier: Bool, hasPlans: Bool, hasEvals: Bool) {
        var items: [(MarkerShape, String, String)] = []
        if hasFrontier { items.append((.circle, "frontier-point", "optimal plans (sweep)")) }
        items.append((.diamond, "baseline", "one format everywhere"))
        if hasPlans { items.append((.square, "plan", "chosen plan")) }
        if hasEvals { items.append((.triangle, "measured", "measured KL")) }
        let x0 = frame.x(1) - 170, y0 = frame.top + 14
        b.empty(.rect, [("x", SVGPlot.px(x0 - 10)), ("y", SVGPlot.px(y0 - 12)), ("width", "176"),
                        ("height", SVGPlot.px(Double(items.count) * 16 + 8)), ("class", "legend-box")])
        for (i, item) in items.enumerated() {
            let y = y0 + Double(i) * 16
            SVGPlot.marker(&b, item.0, x: x0, y: y - 4, size: 4, className: item.1, tooltip: item.2)
            b.element(.text, [("x", SVGPlot.px(x0 + 10)), ("y", SVGPlot.px(y)), ("class", "tick")], text: item.2)
        }
    }

    private func pplChart(_ b: inout HTMLBuilder) {
        let evals = context.input.evals.filter { $0.averageBits != nil }
        let x = Axis.covering(Self.padded(evals.compactMap(\.averageBits)), kind: .linear)
        let y = Axis.covering(Self.padded(evals.map(\.ppl)), kind: .linear)
        let frame = PlotFrame(width: 420, height: 400)
        SVGPlot.open(&b, frame, title: "Measured perplexity against average bits")
        SVGPlot.axes(&b, frame, x: x, y: y, xLabel: "average bits per weight", yLabel: "perplexity")
        for e in evals {
            SVGPlot.marker(&b, .triangle, x: frame.x(x.unit(e.averageBits ?? 0)), y: frame.y(y.unit(e.ppl)), size: 5,
                           className: "measured", tooltip: "\(e.label ?? "eval"): PPL \(HumanNumber.significant(e.ppl))")
            b.element(.text, [("x", SVGPlot.px(frame.x(x.unit(e.averageBits ?? 0)) + 8)),
                              ("y", SVGPlot.px(frame.y(y.unit(e.ppl)) + 4)), ("class", "point-label")], text: e.label ?? "")
        }
        b.close(.svg)
    }

    /// `values` plus points 8 % of their range (or 5 % of their size) beyond each end, so markers and
    /// labels do not sit on the plot's edge.
    static func padded(_ values: [Double]) -> [Double] {
        guard let lo = values.min(), let hi = values.max() else { return values }
        let pad = hi > lo ? 0.08 * (hi - lo) : max(0.05 * abs(hi), 0.5)
        return values + [lo - pad, hi + pad]
    }

    static let evalHeaders = ["evaluation", "avg bits", "perplexity", "KL (nats/token)", "top-1 agreement", "tokens"]

    var evalRows: [[String]] {
        context.input.evals.map { e in
            [e.label ?? "-", e.averageBits.map { HumanNumber.significant($0) } ?? "-", HumanNumber.significant(e.ppl),
             e.kl.map { HumanNumber.significant($0) } ?? "-", e.top1Agree.map { HumanNumber.percent($0) } ?? "-",
             "\(HumanNumber.grouped(e.tokens)) (\(e.windows) × \(e.ctx))"]
        }
    }

    func markdown(_ m: inout MarkdownBuilder) {
        let a = context.analysis
        m.paragraph("Average bits over the \(scopeName) (\(a.counting.rawValue) counting); loss in \(ReportContext.lossUnit).")
        m.heading(3, "Uniform baselines")
        m.table(["format everywhere", "avg bits", "predicted loss"], [.left, .right, .right],
                a.baselines.map { [$0.format.name, HumanNumber.significant($0.averageBits), HumanNumber.significant($0.predictedLoss)] })
        if let sweep = context.input.sweep {
            m.heading(3, "Sweep (\(sweep.frontier.count) budgets)")
            m.table(["target bits", "achieved bits", "predicted loss"], [.right, .right, .right],
                    sweep.frontier.map { [HumanNumber.significant($0.targetBits), HumanNumber.significant($0.achievedBits),
                                          HumanNumber.significant($0.predictedLoss)] })
        }
        if !context.input.evals.isEmpty {
            m.heading(3, "Measured")
            m.table(Self.evalHeaders, [.left, .right, .right, .right, .right, .right], evalRows)
        }
    }
}
