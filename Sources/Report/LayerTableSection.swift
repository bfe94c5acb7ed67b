import Model
import Sensitivity

/// Every layer with its shape, chosen format and score in every format (HTML only, collapsed; omitted
/// when the grid aggregates, where the table would be too long to read).
struct LayerTableSection: ReportSection {
    let context: ReportContext
    var id: String { "layers" }
    var title: String { "All layers" }

    func html(_ b: inout HTMLBuilder) {
        let layers = context.profile.layers, a = context.analysis
        guard !context.grid.aggregated else {
            b.paragraph("\(HumanNumber.grouped(layers.count)) layers: too many to list; see the profile file.", className: "note")
            return
        }
        let chosen = context.input.plans.first.map { context.decisions($0.plan) } ?? []
        let order = a.formatOrder
        let headers = ["layer", "block", "kind", "shape", "parameters"] + (chosen.isEmpty ? [] : ["plan"])
            + order.map { context.formatLabel($0) }
        let numericStart = chosen.isEmpty ? 5 : 6
        let rows = layers.indices.map { li -> [String] in
            let l = layers[li]
            return [l.name, l.block.map(String.init) ?? "-", l.kind.profileName, l.shape.map(String.init).joined(separator: " × "),
                    HumanNumber.grouped(l.parameters)] + (chosen.isEmpty ? [] : [chosen[li]?.format.name ?? "-"])
                + order.map { HumanNumber.significant(a.score(layer: li, format: $0)) }
        }
        b.element(.details) { b in
            b.element(.summary, text: "Show all \(layers.count) layers (scores in \(ReportContext.lossUnit))")
            b.table(headers, numeric: Set([1, 4]).union(numericStart..<headers.count), rows: rows, className: "layers")
        }
    }

    func markdown(_ m: inout MarkdownBuilder) {
        m.paragraph("The table of all \(HumanNumber.grouped(context.profile.layers.count)) layers is in report.html.")
    }
}
