import Model
import Sensitivity

/// The most and the least sensitive layers, ranked by their score in the reference format.
struct ExtremesSection: ReportSection {
    let context: ReportContext
    var id: String { "extremes" }
    var title: String { "Most and least sensitive layers" }
    /// Layers listed at each end.
    var count = 10

    var referenceName: String {
        context.analysis.referenceFormat.map { context.profile.formats[$0].name } ?? "-"
    }

    var headers: [String] {
        ["rank", "layer", "block", "kind", "parameters", "score in \(referenceName) (nats/token)"]
            + (context.input.plans.isEmpty ? [] : ["chosen format"])
    }

    /// (most sensitive rows, least sensitive rows).
    func rows() -> ([[String]], [[String]]) {
        let a = context.analysis, layers = context.profile.layers
        let n = min(count, layers.count)
        let chosen: [String?] = context.input.plans.first.map { context.decisions($0.plan).map { $0?.format.name } } ?? []
        func row(_ rank: Int, _ li: Int) -> [String] {
            let l = layers[li]
            let score = a.referenceFormat.map { a.score(layer: li, format: $0) } ?? 0
            return ["\(rank + 1)", l.name, l.block.map(String.init) ?? "-", l.kind.profileName, HumanNumber.grouped(l.parameters),
                    HumanNumber.significant(score)] + (chosen.isEmpty ? [] : [chosen[li] ?? "-"])
        }
        let top = (0..<n).map { row($0, a.ranking[$0]) }
        let bottom = (0..<n).map { i -> [String] in
            let rank = layers.count - 1 - i
            return row(rank, a.ranking[rank])
        }
        return (top, bottom)
    }

    func html(_ b: inout HTMLBuilder) {
        let (top, bottom) = rows()
        b.paragraph("Ranked by the score in \(referenceName), the format with the fewest bits that hurts somewhere.")
        let numeric: Set<Int> = [0, 2, 4, 5]
        b.table(headers, numeric: numeric, rows: top, caption: "Most sensitive")
        b.table(headers, numeric: numeric, rows: bottom, caption: "Least sensitive")
    }

    func markdown(_ m: inout MarkdownBuilder) {
        let (top, bottom) = rows()
        let align: [MarkdownBuilder.Alignment] = [.right, .left, .right, .left, .right, .right]
            + (context.input.plans.isEmpty ? [] : [.left])
        let code = { (rows: [[String]]) in rows.map { r in r.enumerated().map { $0 == 1 ? MarkdownBuilder.code($1) : $1 } } }
        m.paragraph("Ranked by the score in \(referenceName). Most sensitive:")
        m.table(headers, align, code(top))
        m.paragraph("Least sensitive:")
        m.table(headers, align, code(bottom))
    }
}
