import Search
import Sensitivity

/// Where the primary plan's bits go: searched layers, fixed tensors, whole model; each format's
/// share of parameters and bits.
struct BudgetSection: ReportSection {
    let context: ReportContext
    var id: String { "budget" }
    var title: String { "Budget accounting" }

    static let totalHeaders = ["part", "parameters", "bits", "bits/weight", "size"]
    static let shareHeaders = ["format", "layers", "parameters", "share of parameters", "bits", "share of bits"]

    func totalRows(_ plan: QuantizationPlan) -> [[String]] {
        let a = plan.achieved
        let fixedBits = a.modelBits - a.searchedBits, fixedParameters = a.modelParameters - a.searchedParameters
        func row(_ name: String, _ p: Int, _ bits: Int) -> [String] {
            [name, HumanNumber.grouped(p), HumanNumber.grouped(bits),
             HumanNumber.significant(Double(bits) / Double(max(p, 1))), HumanNumber.bytes(bits: bits)]
        }
        return [row("searched layers", a.searchedParameters, a.searchedBits),
                row("fixed tensors (embeddings, norms, head)", fixedParameters, fixedBits),
                row("whole model", a.modelParameters, a.modelBits)]
    }

    func shareRows(_ stats: PlanStats, plan: QuantizationPlan) -> [[String]] {
        let totalP = Double(max(plan.achieved.searchedParameters, 1)), totalB = Double(max(plan.achieved.searchedBits, 1))
        return context.analysis.formatOrder.compactMap { f in
            guard let s = stats.byFormat[f] else { return nil }
            return [context.profile.formats[f].name, HumanNumber.grouped(s.layers), HumanNumber.grouped(s.parameters),
                    HumanNumber.percent(Double(s.parameters) / totalP), HumanNumber.grouped(s.bits),
                    HumanNumber.percent(Double(s.bits) / totalB)]
        }
    }

    private func capacityLine(_ plan: QuantizationPlan) -> String {
        let used = plan.budget.scope == .searched ? plan.achieved.searchedBits : plan.achieved.modelBits
        let capacity = plan.budget.scope == .searched ? plan.budget.capacityBits
            : plan.budget.capacityBits + (plan.achieved.modelBits - plan.achieved.searchedBits)
        return "Budget \(HumanNumber.significant(plan.budget.averageBits)) bits/weight over the "
            + (plan.budget.scope == .searched ? "searched layers" : "whole model")
            + " (\(plan.budget.counting.rawValue) counting): \(HumanNumber.grouped(used)) of "
            + "\(HumanNumber.grouped(capacity)) bits used (\(HumanNumber.percent(Double(used) / Double(max(capacity, 1)))))."
    }

    func html(_ b: inout HTMLBuilder) {
        guard let primary = context.input.plans.first else {
            b.paragraph("No plan given.", className: "note")
            return
        }
        let stats = PlanStats(plan: primary.plan, context: context)
        b.paragraph("Plan \(primary.label). " + capacityLine(primary.plan))
        b.table(Self.totalHeaders, numeric: [1, 2, 3, 4], rows: totalRows(primary.plan))
        b.element(.h3, text: "Each format's share")
        shareBar(&b, stats, plan: primary.plan)
        b.table(Self.shareHeaders, numeric: [1, 2, 3, 4, 5], rows: shareRows(stats, plan: primary.plan))
    }

    /// A 100 % bar of parameter shares in format colours.
    private func shareBar(_ b: inout HTMLBuilder, _ stats: PlanStats, plan: QuantizationPlan) {
        var frame = PlotFrame(width: 640, height: 46)
        frame.left = 0
        SVGPlot.open(&b, frame, title: "Share of searched parameters per format")
        let total = Double(max(plan.achieved.searchedParameters, 1))
        var x = 0.0
        for (rank, f) in context.analysis.formatOrder.enumerated() {
            guard let s = stats.byFormat[f] else { continue }
            let w = Double(s.parameters) / total * frame.width
            let color = FormatPalette.color(rank: rank)
            let name = context.profile.formats[f].name
            b.element(.rect, [("x", SVGPlot.px(x)), ("y", "4"), ("width", SVGPlot.px(w)), ("height", "26"),
                              ("fill", color.hex)]) { $0.element(.title, text: "\(name): \(HumanNumber.percent(Double(s.parameters) / total))") }
            if w > 60 {
                b.element(.text, [("x", SVGPlot.px(x + w / 2)), ("y", "21"), ("class", "cell-label"),
                                  ("text-anchor", "middle"), ("fill", FormatPalette.textColor(on: color))],
                          text: "\(name) \(HumanNumber.percent(Double(s.parameters) / total))")
            }
            x += w
        }
        b.close(.svg)
    }

    func markdown(_ m: inout MarkdownBuilder) {
        guard let primary = context.input.plans.first else {
            m.paragraph("No plan given.")
            return
        }
        let stats = PlanStats(plan: primary.plan, context: context)
        m.paragraph("Plan \(MarkdownBuilder.escape(primary.label)). " + capacityLine(primary.plan))
        m.table(Self.totalHeaders, [.left, .right, .right, .right, .right], totalRows(primary.plan))
        m.table(Self.shareHeaders, [.left, .right, .right, .right, .right, .right], shareRows(stats, plan: primary.plan))
    }
}
